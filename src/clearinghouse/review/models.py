"""Voluntary pre-release review of frontier models: models, versions, reviews, partners.

Nothing here can hold up a release: a review's states describe the review only, never
the release, and a review whose window has ended is simply closed.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Enum,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.storage.base import Base, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class AccessKind(enum.StrEnum):
    api = "api"  # reviewers call an API endpoint with credentials
    weights = "weights"  # reviewers obtain the weights from a location


class ReviewStatus(enum.StrEnum):
    open = "open"
    closed = "closed"  # the window ended; the review closed with whatever it had
    withdrawn = "withdrawn"  # the developer withdrew the submission


class CloseReason(enum.StrEnum):
    window_elapsed = "window_elapsed"  # 30 days after submission
    release_date_reached = "release_date_reached"
    withdrawn = "withdrawn"
    superseded = "superseded"  # a new version was submitted in its place


class ActivityKind(enum.StrEnum):
    benchmark_battery = "benchmark_battery"
    red_team = "red_team"
    partner_testing = "partner_testing"
    other = "other"


class ActivityStatus(enum.StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    skipped = "skipped"


class DesignationStatus(enum.StrEnum):
    proposed = "proposed"  # proposed by an agency, awaiting the developer's consent
    consented = "consented"  # the developer consents (or proposed it), awaiting the partner
    accepted = "accepted"  # the partner accepted; access may be granted
    declined = "declined"
    withdrawn = "withdrawn"


class FindingKind(enum.StrEnum):
    vulnerability = "vulnerability"  # a software vulnerability: becomes a report
    capability = "capability"
    safety = "safety"
    other = "other"


class FrontierModel(Base):
    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    versions: Mapped[list[ModelVersion]] = relationship(back_populates="model")


class ModelVersion(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("models.id"), index=True)
    version: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    model_card_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    model_card: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    model_card_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    declared_training_compute_flop: Mapped[float | None] = mapped_column(Float, nullable=True)
    modalities: Mapped[str] = mapped_column(String(200), default="text")  # comma-separated
    planned_release_at: Mapped[datetime] = mapped_column(UTCDateTime)
    access_kind: Mapped[AccessKind] = mapped_column(_enum(AccessKind))
    api_base_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Encrypted at rest (review/secrets.py); never returned, logged or audited.
    api_credential_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    weights_location: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    model: Mapped[FrontierModel] = relationship(back_populates="versions", lazy="joined")


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str] = mapped_column(String(200))
    # min(submitted_at + 30 days, planned release); recomputed when the release moves.
    window_closes_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[ReviewStatus] = mapped_column(_enum(ReviewStatus), default=ReviewStatus.open)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    close_reason: Mapped[CloseReason | None] = mapped_column(_enum(CloseReason), nullable=True)
    superseded_by_review_id: Mapped[int | None] = mapped_column(
        ForeignKey("reviews.id"), nullable=True
    )

    model_version: Mapped[ModelVersion] = relationship(lazy="joined")


class ReviewAssignment(Base):
    """A reviewing agency on a review, and optionally one of its reviewers by name."""

    __tablename__ = "review_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigned_by: Mapped[str] = mapped_column(String(200))


class ReviewActivity(Base):
    __tablename__ = "review_activities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    kind: Mapped[ActivityKind] = mapped_column(_enum(ActivityKind))
    title: Mapped[str] = mapped_column(String(300))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[ActivityStatus] = mapped_column(
        _enum(ActivityStatus), default=ActivityStatus.planned
    )
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result_summary: Mapped[str] = mapped_column(Text, default="")


class ReviewNote(Base):
    """A reviewer's restricted note: never shown to the developer, in any view."""

    __tablename__ = "review_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartnerDesignation(Base):
    __tablename__ = "partner_designations"
    __table_args__ = (UniqueConstraint("review_id", "partner_org_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    proposed_by_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True
    )
    proposed_by: Mapped[str] = mapped_column(String(200))
    status: Mapped[DesignationStatus] = mapped_column(_enum(DesignationStatus))
    developer_consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    partner_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessGrant(Base):
    """Time-limited early access for one partner to one model version."""

    __tablename__ = "access_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    designation_id: Mapped[int] = mapped_column(ForeignKey("partner_designations.id"))
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    partner_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    instructions: Mapped[str] = mapped_column(Text, default="")
    # The partner's credential is shown once; only its SHA-256 is kept.
    credential_prefix: Mapped[str | None] = mapped_column(String(16), nullable=True)
    credential_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ReviewFinding(Base):
    __tablename__ = "review_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True
    )
    author: Mapped[str] = mapped_column(String(200))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[FindingKind] = mapped_column(_enum(FindingKind))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    # Restricted findings are for reviewers only, like notes.
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Notification(Base):
    """An outbox of notifications; delivery (webhooks, e-mail) reads from here."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(50))
    subject_id: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    # One notification per event and recipient, however often the clock ticks.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
