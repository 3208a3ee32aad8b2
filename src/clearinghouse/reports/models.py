"""Vulnerability reports taken in by the clearinghouse (the seed of the reports area).

Reviews turn software-vulnerability findings into reports here, with their provenance;
triage, de-duplication and disclosure (issue 4) build on this table.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text
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


class Report(Base):
    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[ReportStatus] = mapped_column(
        Enum(ReportStatus, native_enum=False, length=32), default=ReportStatus.received
    )
    package_ecosystem: Mapped[str | None] = mapped_column(String(64), nullable=True)
    package_name: Mapped[str | None] = mapped_column(String(400), nullable=True)
    affected_versions: Mapped[str | None] = mapped_column(Text, nullable=True)
    cwe: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cvss_vector: Mapped[str | None] = mapped_column(String(200), nullable=True)
    tlp: Mapped[str] = mapped_column(String(16), default="AMBER")
    # Provenance: who submitted it, and what found it.
    submitted_by: Mapped[str] = mapped_column(String(200))
    submitted_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    reporter_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True, index=True
    )
    discovered_by: Mapped[DiscoveredBy] = mapped_column(
        Enum(DiscoveredBy, native_enum=False, length=16)
    )
    discovered_by_model_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("model_versions.id"), nullable=True, index=True
    )
    discovered_during_review_id: Mapped[int | None] = mapped_column(
        ForeignKey("reviews.id"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
