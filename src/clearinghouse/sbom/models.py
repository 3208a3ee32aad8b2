"""Inventories: the SBOMs an organisation uploads, their components, findings and history.

An inventory is a named piece of an organisation's software ("billing-api"); each upload
replaces what it is made of, and only the latest upload of an inventory is matched
continuously. Findings belong to the inventory, not to an upload, so that a decision
(accepted, not_affected) survives a re-upload of the same component, and a finding that
no longer matches is marked fixed rather than forgotten.

`inventory_components` has the reverse index: (ecosystem, name_key) first, so that a
changed vulnerability record finds every stored component of the packages it names
without a scan; version and upload follow, so the index alone answers the matcher.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clearinghouse.storage.base import Base, UTCDateTime


class FindingStatus(enum.StrEnum):
    new = "new"  # matches and nobody has decided on it yet
    fixed = "fixed"  # no longer matches: the component left the upload, or the record changed
    accepted = "accepted"  # the organisation accepts the risk, with a reason
    not_affected = "not_affected"  # the organisation (or its SBOM's VEX) says it does not apply


# Statuses a person may set; `fixed` is only ever the matcher's conclusion.
DECIDABLE = frozenset({FindingStatus.new, FindingStatus.accepted, FindingStatus.not_affected})
OPEN = frozenset({FindingStatus.new, FindingStatus.accepted, FindingStatus.not_affected})


class FindingEventKind(enum.StrEnum):
    opened = "opened"  # first matched
    reopened = "reopened"  # matched again after being fixed
    fixed = "fixed"
    status = "status"  # a person's decision
    records = "records"  # the records behind it changed (one more, one fewer)
    regrouped = "regrouped"  # alias groups merged: the same vulnerability under a new group


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, validate_strings=True)


class Inventory(Base):
    __tablename__ = "inventories"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(300))
    # No foreign key: inventories and uploads refer to each other, and a cycle of
    # constraints would make every insert and migration a two-step affair.
    latest_upload_id: Mapped[int | None] = mapped_column(Integer, nullable=True, unique=True)
    latest_upload_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SbomUpload(Base):
    """One file uploaded to an inventory, with what could not be matched and why."""

    __tablename__ = "sbom_uploads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inventory_id: Mapped[int] = mapped_column(
        ForeignKey("inventories.id", ondelete="CASCADE"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(64))
    format_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    encoding: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str | None] = mapped_column(String(400), nullable=True)
    declared_count: Mapped[int] = mapped_column(Integer)
    component_count: Mapped[int] = mapped_column(Integer)
    skipped_count: Mapped[int] = mapped_column(Integer)
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(300))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # JSON lists: [{name, version, purl, bom_ref, location, reason}], the VEX statements
    # (re-matching applies them to findings that appear later), the reader's warnings.
    skipped: Mapped[str] = mapped_column(Text, default="[]")
    vex: Mapped[str] = mapped_column(Text, default="[]")
    warnings: Mapped[str] = mapped_column(Text, default="[]")


class InventoryComponent(Base):
    """One matchable component of an upload; ids come in blocks (`storage.ids`)."""

    __tablename__ = "inventory_components"
    __table_args__ = (
        Index("ix_inventory_components_package", "ecosystem", "name_key", "version", "upload_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    upload_id: Mapped[int] = mapped_column(
        ForeignKey("sbom_uploads.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(400))
    name_key: Mapped[str] = mapped_column(String(400))
    version: Mapped[str] = mapped_column(String(200))
    purl: Mapped[str | None] = mapped_column(Text, nullable=True)
    bom_ref: Mapped[str | None] = mapped_column(Text, nullable=True)


class InventoryFinding(Base):
    """One vulnerability (alias group) affecting one component version of an inventory.

    The details (severity, fixed version, KEV due date, ...) are a snapshot taken when the
    matcher last looked; every re-match that touches the finding refreshes them.
    """

    __tablename__ = "inventory_findings"
    __table_args__ = (
        UniqueConstraint("inventory_id", "ecosystem", "name_key", "version", "group_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    # Indexed by the unique constraint, which it leads.
    inventory_id: Mapped[int] = mapped_column(ForeignKey("inventories.id", ondelete="CASCADE"))
    ecosystem: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(400))
    name_key: Mapped[str] = mapped_column(String(400))
    version: Mapped[str] = mapped_column(String(200))
    purl: Mapped[str | None] = mapped_column(Text, nullable=True)
    bom_ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("alias_groups.id"), index=True)
    primary_id: Mapped[str] = mapped_column(String(255))
    aliases: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    summary: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16))  # matching.findings.Severity name
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    kev_due_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    fixed_version: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # JSON list of URLs, advisories first. (Not "references": a reserved word in SQL.)
    advisory_links: Mapped[str] = mapped_column(Text, default="[]")
    status: Mapped[FindingStatus] = mapped_column(_enum(FindingStatus))
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(300), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    vex_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    vex_justification: Mapped[str | None] = mapped_column(String(100), nullable=True)
    vex_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A finding is the organisation's own business: AMBER+STRICT unless it shares it.
    tlp: Mapped[str] = mapped_column(
        String(16), default="AMBER+STRICT", server_default="AMBER+STRICT"
    )
    sharing_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_groups.id"), nullable=True
    )
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    first_upload_id: Mapped[int] = mapped_column(Integer)
    last_upload_id: Mapped[int] = mapped_column(Integer)

    records: Mapped[list[FindingRecord]] = relationship(
        back_populates="finding", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def record_ids(self) -> list[str]:
        return sorted(link.osv_id for link in self.records)


class FindingRecord(Base):
    """Which stored records a finding rests on: how a changed record finds its findings."""

    __tablename__ = "inventory_finding_records"

    finding_id: Mapped[int] = mapped_column(
        ForeignKey("inventory_findings.id", ondelete="CASCADE"), primary_key=True
    )
    osv_id: Mapped[str] = mapped_column(String(255), primary_key=True, index=True)

    finding: Mapped[InventoryFinding] = relationship(back_populates="records")


class FindingEvent(Base):
    """The history of a finding: opened, fixed, reopened, decided, its records changed."""

    __tablename__ = "inventory_finding_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    finding_id: Mapped[int] = mapped_column(
        ForeignKey("inventory_findings.id", ondelete="CASCADE"), index=True
    )
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(300))
    kind: Mapped[FindingEventKind] = mapped_column(_enum(FindingEventKind))
    status_before: Mapped[str | None] = mapped_column(String(32), nullable=True)
    status_after: Mapped[str] = mapped_column(String(32))
    upload_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    osv_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")


# Ids handed out in blocks (storage.ids.allocate_ids): bulk inserts need no RETURNING.
ID_SEQUENCES = ("inventory_components", "inventory_findings", "inventory_finding_events")
