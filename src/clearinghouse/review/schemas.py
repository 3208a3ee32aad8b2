"""The JSON shapes of the model review API; a credential or its ciphertext is never one of them.

A review comes in one of three redactions, named by `view`: reviewers (and operators)
see everything, the developer sees no notes and no restricted findings, a partner sees
only its own designation, grants and findings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from clearinghouse.reports.models import Report
from clearinghouse.review.models import (
    AccessGrant,
    AccessKind,
    ActivityKind,
    ActivityStatus,
    FindingKind,
    FrontierModel,
    ModelVersion,
    PartnerDesignation,
    Review,
    ReviewActivity,
    ReviewAssignment,
    ReviewFinding,
    ReviewNote,
)
from clearinghouse.review.service import VOLUNTARY_NOTICE, ReviewContents

NoticeField = Field(
    default=VOLUNTARY_NOTICE,
    description="Review is voluntary and never holds up a release; every response says so",
)

# --- requests ----------------------------------------------------------------------------


class ModelIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    organisation: str | None = Field(
        default=None, description="Slug of the developer organisation (operators only)"
    )


class VersionIn(BaseModel):
    version: str = Field(min_length=1, max_length=100)
    planned_release_at: datetime = Field(description="The developer's planned public release")
    access_kind: AccessKind
    api_base_url: str | None = Field(default=None, max_length=2000)
    api_credential: str | None = Field(
        default=None,
        max_length=4000,
        description="Stored encrypted; never returned (responses say only `credential_set`)",
    )
    weights_location: str | None = Field(default=None, max_length=2000)
    declared_training_compute_flop: float | None = Field(default=None, ge=0)
    modalities: list[str] = Field(default_factory=lambda: ["text"], min_length=1, max_length=20)
    description: str = Field(default="", max_length=20_000)
    model_card_name: str | None = Field(default=None, max_length=200)
    model_card_base64: str | None = Field(
        default=None, description="The model card, base64; at most 5 MiB once decoded"
    )


class ReleaseDateIn(BaseModel):
    planned_release_at: datetime


class SubmissionIn(BaseModel):
    model_version_id: int = Field(ge=1)


class ResubmissionIn(BaseModel):
    model_version_id: int = Field(ge=1, description="The new version that replaces this one")


class AssignmentIn(BaseModel):
    organisation: str = Field(min_length=1, max_length=64, description="Agency slug")
    reviewer_email: str | None = Field(default=None, max_length=254)


class ActivityIn(BaseModel):
    kind: ActivityKind
    title: str = Field(min_length=1, max_length=300)
    due_at: datetime = Field(description="Inside the review window")
    owner_email: str | None = Field(default=None, max_length=254)


class ActivityUpdateIn(BaseModel):
    status: ActivityStatus
    result_summary: str = Field(default="", max_length=20_000)


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=50_000)


class PartnerIn(BaseModel):
    partner: str = Field(min_length=1, max_length=64, description="Partner organisation slug")


class GrantIn(BaseModel):
    scope: str = Field(min_length=1, max_length=5000)
    ends_at: datetime = Field(description="No later than the review window's close")
    instructions: str = Field(default="", max_length=20_000)


class FindingIn(BaseModel):
    kind: FindingKind
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(min_length=1, max_length=100_000)
    severity: str | None = Field(default=None, max_length=16)
    restricted: bool = False
    package_ecosystem: str | None = Field(default=None, max_length=64)
    package_name: str | None = Field(default=None, max_length=400)
    affected_versions: str | None = Field(default=None, max_length=5000)
    cwe: str | None = Field(default=None, max_length=32)
    cvss_vector: str | None = Field(default=None, max_length=200)


# --- responses ---------------------------------------------------------------------------


class VersionOut(BaseModel):
    id: int
    model_id: int
    model: str
    version: str
    description: str
    planned_release_at: datetime
    access_kind: AccessKind
    api_base_url: str | None
    credential_set: bool = Field(description="Whether an API credential is stored (encrypted)")
    weights_location: str | None
    declared_training_compute_flop: float | None
    modalities: list[str]
    model_card_name: str | None
    model_card_sha256: str | None
    model_card_bytes: int | None

    @classmethod
    def of(cls, v: ModelVersion) -> VersionOut:
        return cls(
            id=v.id,
            model_id=v.model_id,
            model=v.model.name,
            version=v.version,
            description=v.description,
            planned_release_at=v.planned_release_at,
            access_kind=v.access_kind,
            api_base_url=v.api_base_url,
            credential_set=v.api_credential_ciphertext is not None,
            weights_location=v.weights_location,
            declared_training_compute_flop=v.declared_training_compute_flop,
            modalities=[m for m in v.modalities.split(",") if m],
            model_card_name=v.model_card_name,
            model_card_sha256=v.model_card_sha256,
            model_card_bytes=len(v.model_card) if v.model_card is not None else None,
        )


class ModelOut(BaseModel):
    id: int
    organisation_id: int
    name: str
    description: str
    created_at: datetime
    versions: list[VersionOut]

    @classmethod
    def of(cls, m: FrontierModel, versions: list[ModelVersion]) -> ModelOut:
        return cls(
            id=m.id,
            organisation_id=m.organisation_id,
            name=m.name,
            description=m.description,
            created_at=m.created_at,
            versions=[VersionOut.of(v) for v in versions],
        )


class ReleaseDateOut(BaseModel):
    version: VersionOut
    review_id: int | None
    window_closes_at: datetime | None
    voluntary_notice: str = NoticeField


class ReviewSummaryOut(BaseModel):
    id: int
    model_version_id: int
    model: str
    version: str
    status: str
    submitted_at: datetime
    submitted_by: str
    window_closes_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    superseded_by_review_id: int | None
    voluntary_notice: str = NoticeField

    @classmethod
    def of(cls, r: Review) -> ReviewSummaryOut:
        return cls(**_summary_fields(r))


def _summary_fields(r: Review) -> dict[str, Any]:
    return {
        "id": r.id,
        "model_version_id": r.model_version_id,
        "model": r.model_version.model.name,
        "version": r.model_version.version,
        "status": r.status.value,
        "submitted_at": r.submitted_at,
        "submitted_by": r.submitted_by,
        "window_closes_at": r.window_closes_at,
        "closed_at": r.closed_at,
        "close_reason": r.close_reason.value if r.close_reason else None,
        "superseded_by_review_id": r.superseded_by_review_id,
    }


class AssignmentOut(BaseModel):
    id: int
    organisation_id: int
    user_id: int | None
    assigned_at: datetime

    @classmethod
    def of(cls, a: ReviewAssignment) -> AssignmentOut:
        return cls(
            id=a.id, organisation_id=a.organisation_id, user_id=a.user_id, assigned_at=a.assigned_at
        )


class ActivityOut(BaseModel):
    id: int
    review_id: int
    kind: ActivityKind
    title: str
    owner_user_id: int | None
    due_at: datetime
    status: ActivityStatus
    completed_at: datetime | None
    result_summary: str

    @classmethod
    def of(cls, a: ReviewActivity) -> ActivityOut:
        return cls(
            id=a.id,
            review_id=a.review_id,
            kind=a.kind,
            title=a.title,
            owner_user_id=a.owner_user_id,
            due_at=a.due_at,
            status=a.status,
            completed_at=a.completed_at,
            result_summary=a.result_summary,
        )


class NoteOut(BaseModel):
    id: int
    review_id: int
    author: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, n: ReviewNote) -> NoteOut:
        return cls(
            id=n.id, review_id=n.review_id, author=n.author, body=n.body, created_at=n.created_at
        )


class DesignationOut(BaseModel):
    id: int
    review_id: int
    partner_org_id: int
    proposed_by_org_id: int | None
    status: str
    developer_consented_at: datetime | None
    partner_accepted_at: datetime | None
    decided_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, d: PartnerDesignation) -> DesignationOut:
        return cls(
            id=d.id,
            review_id=d.review_id,
            partner_org_id=d.partner_org_id,
            proposed_by_org_id=d.proposed_by_org_id,
            status=d.status.value,
            developer_consented_at=d.developer_consented_at,
            partner_accepted_at=d.partner_accepted_at,
            decided_at=d.decided_at,
            created_at=d.created_at,
        )


class GrantOut(BaseModel):
    id: int
    designation_id: int
    review_id: int
    model_version_id: int
    partner_org_id: int
    scope: str
    starts_at: datetime
    ends_at: datetime
    instructions: str
    credential_prefix: str | None
    active: bool
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, g: AccessGrant, *, active: bool) -> GrantOut:
        return cls(
            id=g.id,
            designation_id=g.designation_id,
            review_id=g.review_id,
            model_version_id=g.model_version_id,
            partner_org_id=g.partner_org_id,
            scope=g.scope,
            starts_at=g.starts_at,
            ends_at=g.ends_at,
            instructions=g.instructions,
            credential_prefix=g.credential_prefix,
            active=active,
            revoked_at=g.revoked_at,
            last_used_at=g.last_used_at,
        )


class IssuedGrantOut(GrantOut):
    credential: str = Field(description="The partner's credential: shown this once, kept hashed")


class FindingOut(BaseModel):
    id: int
    review_id: int
    organisation_id: int | None
    author: str
    kind: FindingKind
    title: str
    description: str
    severity: str | None
    restricted: bool
    report_id: int | None
    report_status: str | None = Field(description="The clearinghouse report's status, if any")
    created_at: datetime

    @classmethod
    def of(cls, f: ReviewFinding, report: Report | None) -> FindingOut:
        return cls(
            id=f.id,
            review_id=f.review_id,
            organisation_id=f.organisation_id,
            author=f.author,
            kind=f.kind,
            title=f.title,
            description=f.description,
            severity=f.severity,
            restricted=f.restricted,
            report_id=f.report_id,
            report_status=report.status.value if report is not None else None,
            created_at=f.created_at,
        )


class _ReviewBase(ReviewSummaryOut):
    designations: list[DesignationOut]
    grants: list[GrantOut]
    findings: list[FindingOut]


class ReviewerReviewOut(_ReviewBase):
    view: Literal["reviewer"]
    model_version: VersionOut
    assignments: list[AssignmentOut]
    activities: list[ActivityOut]
    notes: list[NoteOut]


class DeveloperReviewOut(_ReviewBase):
    view: Literal["developer"]
    model_version: VersionOut
    assignments: list[AssignmentOut]
    activities: list[ActivityOut]


class PartnerReviewOut(_ReviewBase):
    view: Literal["partner"]


ReviewOut = Annotated[
    ReviewerReviewOut | DeveloperReviewOut | PartnerReviewOut, Field(discriminator="view")
]


def review_out(c: ReviewContents) -> ReviewerReviewOut | DeveloperReviewOut | PartnerReviewOut:
    common: dict[str, Any] = {
        **_summary_fields(c.review),
        "designations": [DesignationOut.of(d) for d in c.designations],
        "grants": [GrantOut.of(g, active=g.id in c.active_grant_ids) for g in c.grants],
        "findings": [
            FindingOut.of(f, c.reports.get(f.report_id) if f.report_id else None)
            for f in c.findings
        ],
    }
    if c.view == "partner":
        return PartnerReviewOut(view="partner", **common)
    inner: dict[str, Any] = {
        "model_version": VersionOut.of(c.review.model_version),
        "assignments": [AssignmentOut.of(a) for a in c.assignments],
        "activities": [ActivityOut.of(a) for a in c.activities],
    }
    if c.view == "reviewer":
        notes = [NoteOut.of(n) for n in c.notes or []]
        return ReviewerReviewOut(view="reviewer", notes=notes, **common, **inner)
    return DeveloperReviewOut(view="developer", **common, **inner)
