"""Vulnerability reports taken in by the clearinghouse, and what triage adds to them.

A report keeps its provenance (who submitted it, and what found it: a person, a tool, or a
model version under review); intake adds an exact fingerprint and text bands for finding
duplicates, scoring adds CVSS, SSVC, known-exploited status and blast radius, and triage
moves it through its states with a history, evidence and per-state SLA clocks. Nothing is
ever deleted: a duplicate is linked to what it repeats, not dropped.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.storage.base import Base, UTCDateTime, utcnow


class ReportStatus(enum.StrEnum):
    received = "received"
    triaged = "triaged"
    validating = "validating"
    validated = "validated"
    rejected = "rejected"


class DiscoveredBy(enum.StrEnum):
    person = "person"
    tool = "tool"
    model = "model"


class RejectionReason(enum.StrEnum):
    duplicate = "duplicate"
    not_reproducible = "not_reproducible"
    out_of_scope = "out_of_scope"
    not_a_vulnerability = "not_a_vulnerability"


class SourceFormat(enum.StrEnum):
    """The shape a report arrived in."""

    structured = "structured"
    osv = "osv"
    sarif = "sarif"


class LinkKind(enum.StrEnum):
    exact = "exact"  # the same fingerprint: package, affected range, weakness, location
    near_duplicate = "near_duplicate"  # text similar enough to be the same report
    similar = "similar"  # text similar enough to show an analyst, not to link
    known_vulnerability = "known_vulnerability"  # repeats a record of the vulnerability store
    merged = "merged"  # an analyst merged it into another report


class EvidenceResult(enum.StrEnum):
    reproduced = "reproduced"
    not_reproduced = "not_reproduced"
    inconclusive = "inconclusive"


def _enum(cls: type[enum.Enum], length: int = 32) -> Enum:
    # Plain strings, as elsewhere: a new state is a code change, not a migration.
    return Enum(cls, native_enum=False, length=length)


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        # The triage queue: open reports by priority, newest first among equals.
        Index("ix_reports_queue", "status", "priority", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ReportStatus] = mapped_column(_enum(ReportStatus), default=ReportStatus.received)
    package_ecosystem: Mapped[str | None] = mapped_column(String(64), nullable=True)
    package_name: Mapped[str | None] = mapped_column(String(400), nullable=True)
    affected_versions: Mapped[str | None] = mapped_column(Text, nullable=True)
    cwe: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cvss_vector: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tlp: Mapped[str] = mapped_column(String(16), default="AMBER")
    sharing_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id"), nullable=True
    )
    # Provenance: who submitted it, and what found it.
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    reporter_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    discovered_by: Mapped[DiscoveredBy] = mapped_column(_enum(DiscoveredBy, 16))
    discovered_by_model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id"), nullable=True, index=True
    )
    discovered_during_review_id: Mapped[int | None] = mapped_column(
        ForeignKey("reviews.id"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # --- intake (issue 4) -------------------------------------------------------------
    source_format: Mapped[SourceFormat] = mapped_column(
        _enum(SourceFormat, 16), default=SourceFormat.structured
    )
    # SHA-256 of the report as submitted (its canonical JSON): proves nothing was altered.
    content_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The tool or model that found it, in its own words ("CodeQL 2.17", "Atlas 2.0").
    discovered_by_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # One run of a model or tool: hundreds of reports share it, and bulk actions use it.
    model_run: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    location: Mapped[str | None] = mapped_column(Text, nullable=True)  # file:line, URL, symbol
    # JSON lists: the identifiers the reporter cites (CVE, GHSA, ...) and OSV `affected[]`.
    identifiers: Mapped[str] = mapped_column(Text, default="[]")
    affected: Mapped[str] = mapped_column(Text, default="[]")
    package_name_key: Mapped[str | None] = mapped_column(String(400), nullable=True)

    # --- de-duplication ---------------------------------------------------------------
    fingerprint: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id"), nullable=True, index=True
    )
    duplicate_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    known_osv_id: Mapped[str | None] = mapped_column(String(255), nullable=True)

    # --- triage -----------------------------------------------------------------------
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(
        _enum(RejectionReason), nullable=True
    )
    state_entered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    # --- scoring ----------------------------------------------------------------------
    cvss_version: Mapped[str | None] = mapped_column(String(8), nullable=True)
    cvss_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    cvss_severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # JSON: the SSVC decision points (with which of them were assumed) and both decisions.
    ssvc: Mapped[str] = mapped_column(Text, default="{}")
    ssvc_coordinator: Mapped[str | None] = mapped_column(String(16), nullable=True)
    ssvc_deployer: Mapped[str | None] = mapped_column(String(16), nullable=True)
    known_exploited: Mapped[bool] = mapped_column(Boolean, default=False)
    kev_due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    blast_inventories: Mapped[int] = mapped_column(Integer, default=0)
    blast_organisations: Mapped[int] = mapped_column(Integer, default=0)
    priority: Mapped[float] = mapped_column(Float, default=0.0)


class ReportAttachment(Base):
    """A file attached to a report (a proof of concept, a log): the blob lives on disk by hash."""

    __tablename__ = "report_attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("report_evidence.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))


class ReportLink(Base):
    """A report repeats another report or a stored vulnerability, with the score that said so."""

    __tablename__ = "report_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    other_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("reports.id"), nullable=True, index=True
    )
    osv_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    kind: Mapped[LinkKind] = mapped_column(_enum(LinkKind))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))


class ReportTextBand(Base):
    """One locality-sensitive hash band of a report's text: equal buckets are candidates.

    The bucket (which hashes in its band's number) leads the primary key, so finding the
    reports that share any band with a new one is one indexed look-up per band, on every
    server, with no shared memory.
    """

    __tablename__ = "report_text_bands"

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), primary_key=True)


class ReportTerm(Base):
    """How many reports use a word: the document frequencies behind the near-duplicate score.

    The row with the empty term counts the reports themselves. Intake adds one to each of
    a report's words in its own transaction, in sorted order (concurrent writers on
    PostgreSQL lock the rows in one order, so they never deadlock).
    """

    __tablename__ = "report_terms"

    term: Mapped[str] = mapped_column(String(200), primary_key=True)
    documents: Mapped[int] = mapped_column(Integer, default=0)


class ReportEvent(Base):
    """One step of a report's history: a state change, a merge or split, a rescore."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))  # received, status, merged, split, scored
    status_before: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status_after: Mapped[str | None] = mapped_column(String(32), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # How long the report had been in `status_before` when it left it (the SLA clock).
    seconds_in_state: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ReportEvidence(Base):
    """Validation evidence: how an analyst tried to reproduce the report, where, and the result."""

    __tablename__ = "report_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), index=True)
    steps: Mapped[str] = mapped_column(Text)
    environment: Mapped[str] = mapped_column(Text)
    result: Mapped[EvidenceResult] = mapped_column(_enum(EvidenceResult))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
