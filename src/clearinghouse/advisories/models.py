"""Advisories and their published versions (CSAF 2.0 documents).

An advisory is drafted by an analyst from a validated vulnerability (an alias group) or
a closed disclosure case. Each publication (status interim or final) freezes a new
`AdvisoryVersion` holding the exact CSAF JSON that was validated, hashed and signed; the
CSAF provider layout serves those versions and nothing else.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.storage.base import Base, UTCDateTime, utcnow


class AdvisoryStatus(enum.StrEnum):
    """CSAF's /document/tracking/status."""

    draft = "draft"
    interim = "interim"
    final = "final"


class AdvisoryProfile(enum.StrEnum):
    """CSAF's /document/category for the two profiles we write."""

    security_advisory = "csaf_security_advisory"
    vex = "csaf_vex"


def _enum(cls: type[enum.Enum]) -> Enum:
    # Plain strings, as elsewhere: a new state is a code change, not a migration.
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class Advisory(Base):
    __tablename__ = "advisories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # CSAF /document/tracking/id, e.g. "CH-2026-0001"; also the file name's stem.
    tracking_id: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    profile: Mapped[AdvisoryProfile] = mapped_column(
        _enum(AdvisoryProfile), default=AdvisoryProfile.security_advisory
    )
    status: Mapped[AdvisoryStatus] = mapped_column(
        _enum(AdvisoryStatus), default=AdvisoryStatus.draft
    )
    # Where it was drafted from: an alias group of the store, or a closed case.
    group_id: Mapped[int | None] = mapped_column(ForeignKey("alias_groups.id"), nullable=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("disclosure_cases.id"), nullable=True)
    # The analyst's editable draft (notes, remediations, scores) as JSON; the CSAF
    # document is built from it and the store at each publication.
    draft: Mapped[str] = mapped_column(Text, default="{}")
    tlp: Mapped[str] = mapped_column(String(16), default="CLEAR")
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    sharing_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id"), nullable=True
    )
    embargo_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdvisoryVersion(Base):
    """One publication: the frozen CSAF document, its digests and its detached signature."""

    __tablename__ = "advisory_versions"
    __table_args__ = (UniqueConstraint("advisory_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisories.id"), index=True)
    version: Mapped[str] = mapped_column(String(32))  # /document/tracking/version
    status: Mapped[AdvisoryStatus] = mapped_column(_enum(AdvisoryStatus))
    document: Mapped[str] = mapped_column(Text)  # the exact bytes served, UTF-8 JSON
    sha256: Mapped[str] = mapped_column(String(64))
    sha512: Mapped[str] = mapped_column(String(128))
    signature: Mapped[str | None] = mapped_column(Text, nullable=True)  # ASCII-armoured
    # Copied from the advisory at publication: what the provider layout filters on.
    tlp: Mapped[str] = mapped_column(String(16))
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    sharing_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id"), nullable=True
    )
    embargo_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    published_by: Mapped[str] = mapped_column(String(200))
    change_summary: Mapped[str] = mapped_column(Text, default="")
