"""The JSON shapes of reports: what a reporter submits, and what the API answers.

A structured report names the affected package (ecosystem and name, or a purl) and its
affected versions as OSV does (`ranges` of events and/or a `versions` list), so that every
shape of report (structured, OSV draft, SARIF result) ends up as OSV `affected[]` entries
that the matcher can evaluate. Limits are on every field: input is untrusted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clearinghouse.reports.models import (
    DiscoveredBy,
    EvidenceResult,
    LinkKind,
    RejectionReason,
    ReportStatus,
)

MAX_ATTACHMENTS = 10
MAX_IDENTIFIERS = 50


class PackageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ecosystem: str = Field(min_length=1, max_length=64, description="An OSV ecosystem: PyPI, Go")
    name: str = Field(min_length=1, max_length=400)


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    introduced: str | None = Field(default=None, max_length=200)
    fixed: str | None = Field(default=None, max_length=200)
    last_affected: str | None = Field(default=None, max_length=200)
    limit: str | None = Field(default=None, max_length=200)


class RangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["ECOSYSTEM", "SEMVER", "GIT"] = "ECOSYSTEM"
    repo: str | None = Field(default=None, max_length=2000)
    events: list[EventIn] = Field(min_length=1, max_length=100)


class AffectedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ranges: list[RangeIn] = Field(default_factory=list, max_length=50)
    versions: list[str] = Field(default_factory=list, max_length=5000)


class AttachmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    media_type: str = Field(default="application/octet-stream", max_length=100)
    content_base64: str = Field(description="The file, base64; at most 5 MiB once decoded")


class StructuredReportIn(BaseModel):
    """A vulnerability report as a person, a lab's pipeline or a tool writes it."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=100_000)
    package: PackageIn | None = None
    purl: str | None = Field(default=None, max_length=2000, description="Instead of `package`")
    affected: AffectedIn | None = Field(default=None, description="The affected versions")
    affected_versions: str | None = Field(
        default=None, max_length=2000, description="The affected versions in words, if no ranges"
    )
    cwe: str | None = Field(default=None, max_length=32, description="e.g. CWE-79")
    cvss_vector: str | None = Field(default=None, max_length=200)
    identifiers: list[str] = Field(
        default_factory=list, max_length=MAX_IDENTIFIERS, description="CVE, GHSA, ... it repeats"
    )
    location: str | None = Field(default=None, max_length=2000, description="file:line, URL")
    discovered_by: DiscoveredBy = DiscoveredBy.person
    discovered_by_name: str | None = Field(
        default=None, max_length=200, description="The tool or model that found it"
    )
    model_version_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    review_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    model_run: str | None = Field(default=None, max_length=200)
    tlp: Literal["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"] = "AMBER"
    sharing_group: str | None = Field(
        default=None,
        max_length=63,
        description="A sharing group's slug: under AMBER its members read the report, "
        "under RED the people named in it (docs/decisions/0013)",
    )
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: ReportStatus
    reason: str = Field(min_length=1, max_length=5000)
    rejection_reason: RejectionReason | None = None


class BulkTransitionIn(TransitionIn):
    report_ids: list[int] = Field(default_factory=list, max_length=5000)
    model_run: str | None = Field(
        default=None, max_length=200, description="Every open report of this run, instead of ids"
    )


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: str = Field(min_length=1, max_length=50_000)
    environment: str = Field(min_length=1, max_length=10_000)
    result: EvidenceResult
    notes: str = Field(default="", max_length=50_000)


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    into: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(min_length=1, max_length=5000)


class SplitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=5000)


class SsvcIn(BaseModel):
    """The SSVC decision points an analyst sets; the others are assumed from the evidence."""

    model_config = ConfigDict(extra="forbid")

    exploitation: Literal["none", "public_poc", "active"] | None = None
    automatable: Literal["no", "yes"] | None = None
    technical_impact: Literal["partial", "total"] | None = None
    mission_prevalence: Literal["minimal", "support", "essential"] | None = None
    public_wellbeing: Literal["minimal", "material", "irreversible"] | None = None
    system_exposure: Literal["small", "controlled", "open"] | None = None
    human_impact: Literal["low", "medium", "high", "very_high"] | None = None


# --- responses ---------------------------------------------------------------------------


class LinkOut(BaseModel):
    kind: LinkKind
    score: float | None
    report_id: int | None = Field(description="The other report (analysts only)")
    osv_id: str | None = Field(description="The stored record it repeats")


class AttachmentOut(BaseModel):
    id: int
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    created_at: datetime


class EventOut(BaseModel):
    occurred_at: datetime
    actor: str
    kind: str
    status_before: str | None
    status_after: str | None
    rejection_reason: str | None
    reason: str
    seconds_in_state: int | None


class EvidenceOut(BaseModel):
    id: int
    steps: str
    environment: str
    result: EvidenceResult
    notes: str
    recorded_by: str
    recorded_at: datetime


class ScoresOut(BaseModel):
    cvss_version: str | None
    cvss_score: float | None
    cvss_severity: str | None
    ssvc_coordinator: str | None
    ssvc_deployer: str | None
    ssvc: dict[str, Any]
    known_exploited: bool
    kev_due_date: date | None
    blast_inventories: int
    blast_organisations: int
    priority: float


class ReportSummaryOut(BaseModel):
    id: int
    title: str
    status: ReportStatus
    rejection_reason: RejectionReason | None
    package_ecosystem: str | None
    package_name: str | None
    source_format: str
    discovered_by: DiscoveredBy
    discovered_by_name: str | None
    model_run: str | None
    duplicate_of_id: int | None
    duplicate_score: float | None
    cvss_score: float | None
    ssvc_coordinator: str | None
    known_exploited: bool
    blast_organisations: int
    priority: float
    content_sha256: str | None
    created_at: datetime
    sla_due_at: datetime | None


class ReportOut(ReportSummaryOut):
    view: Literal["analyst", "reporter"]
    description: str
    affected: list[dict[str, Any]]
    affected_versions: str | None
    cwe: str | None
    cvss_vector: str | None
    identifiers: list[str]
    location: str | None
    tlp: str
    submitted_by: str
    discovered_by_model_version_id: int | None
    discovered_during_review_id: int | None
    fingerprint: str | None
    known_osv_id: str | None
    state_entered_at: datetime
    scores: ScoresOut
    links: list[LinkOut]
    attachments: list[AttachmentOut]
    evidence: list[EvidenceOut]
    history: list[EventOut]


class QueueOut(BaseModel):
    total: int
    page: int
    per_page: int
    reports: list[ReportSummaryOut]


class SubmissionOut(BaseModel):
    """What one submission made: a structured report or OSV draft makes one, SARIF many."""

    reports: list[ReportSummaryOut]


class BulkOut(BaseModel):
    changed: list[int]
    skipped: dict[int, str] = Field(description="Report id -> why it was left as it was")
