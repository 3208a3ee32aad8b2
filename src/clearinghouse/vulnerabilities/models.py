"""The vulnerability store: OSV records, their history, alias groups and KEV entries."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clearinghouse.storage.base import Base, UTCDateTime, utcnow


class AliasGroup(Base):
    """Records that describe the same vulnerability, joined through shared identifiers."""

    __tablename__ = "alias_groups"

    # Handed out in blocks by storage.ids.allocate_ids, so bulk inserts need no RETURNING.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AliasLink(Base):
    """Every identifier we know (record ids, their aliases, KEV CVE ids) -> its group."""

    __tablename__ = "alias_links"

    alias: Mapped[str] = mapped_column(String(255), primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("alias_groups.id"), index=True)


class Vulnerability(Base):
    """The current version of one OSV record (RustSec and CVE records are stored as OSV)."""

    __tablename__ = "vulnerabilities"
    __table_args__ = (Index("ix_vulnerabilities_modified", "modified"),)

    # Handed out in blocks by storage.ids.allocate_ids, so bulk inserts need no RETURNING.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    osv_id: Mapped[str] = mapped_column(String(255), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("alias_groups.id"), index=True)
    modified: Mapped[datetime] = mapped_column(UTCDateTime)
    published: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    summary: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    document: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    tlp: Mapped[str] = mapped_column(String(16), default="CLEAR")
    embargo_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    owner_org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), nullable=True)
    sharing_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id"), nullable=True
    )
    source: Mapped[str] = mapped_column(String(32))
    source_file: Mapped[str] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VulnerabilityRevision(Base):
    """A version a newer record replaced: nothing ingested is ever lost."""

    __tablename__ = "vulnerability_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vulnerability_id: Mapped[int] = mapped_column(ForeignKey("vulnerabilities.id"), index=True)
    modified: Mapped[datetime] = mapped_column(UTCDateTime)
    content_hash: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(32))
    source_file: Mapped[str] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AffectedPackage(Base):
    """One (ecosystem, package) a record names, for search; ranges stay in the document."""

    __tablename__ = "affected_packages"
    __table_args__ = (Index("ix_affected_packages_eco_key", "ecosystem", "name_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vulnerability_id: Mapped[int] = mapped_column(
        ForeignKey("vulnerabilities.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(400))
    # The name as the ecosystem compares it (PyPI: PEP 503; others: lower case), for search.
    name_key: Mapped[str] = mapped_column(String(400))
    purl: Mapped[str | None] = mapped_column(Text, nullable=True)


class KevEntry(Base):
    """One entry of CISA's Known Exploited Vulnerabilities catalog (BOD 22-01)."""

    __tablename__ = "kev_entries"

    cve_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    vendor_project: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(200))
    vulnerability_name: Mapped[str] = mapped_column(Text)
    date_added: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    short_description: Mapped[str] = mapped_column(Text)
    required_action: Mapped[str] = mapped_column(Text)
    known_ransomware_campaign_use: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str] = mapped_column(Text, default="")
    cwes: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    catalog_version: Mapped[str] = mapped_column(String(32))
    source_file: Mapped[str] = mapped_column(Text)
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    in_catalog: Mapped[bool] = mapped_column(Boolean, default=True)
