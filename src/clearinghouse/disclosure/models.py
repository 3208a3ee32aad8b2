"""Coordinated disclosure cases: the case, its reports, vendors, statements, messages, advisory.

A case is private to its parties (`identity.policy`, disclosure section); what it makes
public, once its embargo has passed, is the advisory stored beside it and the OSV record
it hands to the vulnerability store.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.storage.base import Base, UTCDateTime, utcnow


def _enum(cls: type[enum.Enum]) -> Enum:
    # Plain strings, as elsewhere: a new state is a code change, not a migration.
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class CaseStatus(enum.StrEnum):
    open = "open"
    vendor_notified = "vendor_notified"
    fix_available = "fix_available"
    published = "published"
    closed = "closed"


class StatementStatus(enum.StrEnum):
    """A vendor's word on its products, in the terms of VEX (CSAF, CycloneDX)."""

    affected = "affected"
    not_affected = "not_affected"
    fixed = "fixed"


class DisclosureCase(Base):
    __tablename__ = "disclosure_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(String(1000), default="")
    description: Mapped[str] = mapped_column(Text)
    package_ecosystem: Mapped[str | None] = mapped_column(String(64), nullable=True)
    package_name: Mapped[str | None] = mapped_column(String(400), nullable=True)
    affected_versions: Mapped[str | None] = mapped_column(Text, nullable=True)
    cwe: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cvss_vector: Mapped[str | None] = mapped_column(String(200), nullable=True)
    severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cve_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    tlp: Mapped[str] = mapped_column(String(16))
    sharing_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id"), nullable=True
    )
    embargo_ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[CaseStatus] = mapped_column(_enum(CaseStatus), default=CaseStatus.open)
    # The coordinator's organisation owns what the case publishes (None: the local operator).
    coordinator_org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), nullable=True
    )
    opened_by: Mapped[str] = mapped_column(String(200))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    close_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseReport(Base):
    """A validated report behind a case; a report is in one case at most."""

    __tablename__ = "disclosure_case_reports"
    __table_args__ = (UniqueConstraint("report_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disclosure_cases.id"), index=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseVendor(Base):
    """A vendor organisation invited to a case; removing it keeps the row, with the time."""

    __tablename__ = "disclosure_case_vendors"
    __table_args__ = (UniqueConstraint("case_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disclosure_cases.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_by: Mapped[str] = mapped_column(String(200))
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    removed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    removal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseStatement(Base):
    """One statement of a vendor; a newer one supersedes it, and both are kept."""

    __tablename__ = "disclosure_case_statements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disclosure_cases.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    status: Mapped[StatementStatus] = mapped_column(_enum(StatementStatus))
    versions: Mapped[str] = mapped_column(Text, default="")
    statement: Mapped[str] = mapped_column(Text, default="")
    author: Mapped[str] = mapped_column(String(200))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseMessage(Base):
    """A message to the case's parties; `parent_id` threads replies."""

    __tablename__ = "disclosure_case_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disclosure_cases.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("disclosure_case_messages.id"), nullable=True
    )
    author: Mapped[str] = mapped_column(String(200))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    author_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseAdvisory(Base):
    """What a case produced when it was published or closed: frozen, whatever comes after."""

    __tablename__ = "disclosure_case_advisories"
    __table_args__ = (UniqueConstraint("case_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("disclosure_cases.id"))
    osv_id: Mapped[str] = mapped_column(String(255))
    markdown: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    osv_document: Mapped[str] = mapped_column(Text)
    produced_at: Mapped[datetime] = mapped_column(UTCDateTime)
    produced_by: Mapped[str] = mapped_column(String(200))
