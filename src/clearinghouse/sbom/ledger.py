"""The writes of one upload or one re-match: new findings, changed ones, links and history.

An upload of a large SBOM, or a record that hits thousands of inventories, changes
thousands of findings at once; the ORM's unit of work would take a round trip per row.
The ledger collects the changes as plain values and writes them in bulk at the end
(ids come in blocks, so nothing needs RETURNING), inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from clearinghouse.sbom.details import FindingDetails, chunks
from clearinghouse.sbom.models import (
    FindingEvent,
    FindingEventKind,
    FindingRecord,
    FindingStatus,
    InventoryFinding,
)
from clearinghouse.storage.bulk import BulkInsert
from clearinghouse.storage.ids import allocate_ids

FindingKey = tuple[int, str, str, str, int]  # inventory, ecosystem, name_key, version, group

_FINDING_COLUMNS = (
    "id",
    "inventory_id",
    "ecosystem",
    "name",
    "name_key",
    "version",
    "purl",
    "bom_ref",
    "group_id",
    "primary_id",
    "aliases",
    "summary",
    "severity",
    "score",
    "kev_due_date",
    "fixed_version",
    "advisory_links",
    "status",
    "status_reason",
    "decided_by",
    "decided_at",
    "vex_state",
    "vex_justification",
    "vex_detail",
    "first_seen",
    "last_seen",
    "fixed_at",
    "first_upload_id",
    "last_upload_id",
)
_EVENT_COLUMNS = (
    "id",
    "finding_id",
    "occurred_at",
    "actor",
    "kind",
    "status_before",
    "status_after",
    "upload_id",
    "osv_id",
    "reason",
)
_insert_findings = BulkInsert(InventoryFinding, _FINDING_COLUMNS)
_insert_links = BulkInsert(FindingRecord, ("finding_id", "osv_id"))
_insert_events = BulkInsert(FindingEvent, _EVENT_COLUMNS)

# The details columns: compared before an update, so that an unchanged finding is not written.
DETAIL_COLUMNS = (
    "primary_id",
    "aliases",
    "summary",
    "severity",
    "score",
    "kev_due_date",
    "fixed_version",
    "advisory_links",
)


@dataclass(slots=True)
class FindingRow:
    """A finding as the matcher works on it: plain values, not an ORM object."""

    id: int | None  # None until the ledger writes a new one
    inventory_id: int
    ecosystem: str
    name: str
    name_key: str
    version: str
    purl: str | None
    bom_ref: str | None
    group_id: int
    status: FindingStatus
    links: set[str]
    details: dict[str, Any] = field(default_factory=dict)  # DETAIL_COLUMNS as stored

    @property
    def key(self) -> FindingKey:
        return (self.inventory_id, self.ecosystem, self.name_key, self.version, self.group_id)

    @property
    def is_open(self) -> bool:
        return self.status is not FindingStatus.fixed


def load_rows(session: Session, condition: Any) -> list[FindingRow]:
    """Findings matching a WHERE clause on `InventoryFinding`, with their record links."""
    columns = [getattr(InventoryFinding, name) for name in DETAIL_COLUMNS]
    rows: dict[int, FindingRow] = {}
    statement = select(
        InventoryFinding.id,
        InventoryFinding.inventory_id,
        InventoryFinding.ecosystem,
        InventoryFinding.name,
        InventoryFinding.name_key,
        InventoryFinding.version,
        InventoryFinding.purl,
        InventoryFinding.bom_ref,
        InventoryFinding.group_id,
        InventoryFinding.status,
        *columns,
    ).where(condition)
    for row in session.execute(statement):
        rows[row.id] = FindingRow(
            id=row.id,
            inventory_id=row.inventory_id,
            ecosystem=row.ecosystem,
            name=row.name,
            name_key=row.name_key,
            version=row.version,
            purl=row.purl,
            bom_ref=row.bom_ref,
            group_id=row.group_id,
            status=FindingStatus(row.status),
            links=set(),
            details={name: getattr(row, name) for name in DETAIL_COLUMNS},
        )
    for chunk in chunks(sorted(rows)):
        links = session.execute(
            select(FindingRecord.finding_id, FindingRecord.osv_id).where(
                FindingRecord.finding_id.in_(chunk)
            )
        )
        for finding_id, osv_id in links:
            rows[finding_id].links.add(osv_id)
    return list(rows.values())


@dataclass(slots=True)
class _Event:
    row: FindingRow
    kind: FindingEventKind
    before: FindingStatus | None
    after: FindingStatus
    upload_id: int | None
    osv_id: str | None
    reason: str


@dataclass
class Ledger:
    """The changes of one upload or re-match, written in bulk by `write`."""

    session: Session
    actor: str
    now: datetime
    created: list[tuple[FindingRow, dict[str, Any]]] = field(default_factory=list)
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)
    linked: list[tuple[FindingRow, str]] = field(default_factory=list)
    unlinked: list[tuple[int, str]] = field(default_factory=list)
    events: list[_Event] = field(default_factory=list)

    def create(
        self,
        row: FindingRow,
        details: FindingDetails,
        *,
        upload_id: int,
        vex: Mapping[str, str | None] | None = None,
        osv_id: str | None = None,
        reason: str = "",
    ) -> None:
        values = details.columns()
        row.details = dict(values)
        vex = vex or {}
        values.update(
            status=row.status.value,
            status_reason=vex.get("reason"),
            vex_state=vex.get("state"),
            vex_justification=vex.get("justification"),
            vex_detail=vex.get("detail"),
            first_seen=self.now,
            last_seen=self.now,
            first_upload_id=upload_id,
            last_upload_id=upload_id,
        )
        self.created.append((row, values))
        for link in sorted(row.links):
            self.linked.append((row, link))
        self.event(
            row, FindingEventKind.opened, None, upload_id=upload_id, osv_id=osv_id, reason=reason
        )

    def update(self, row: FindingRow, **values: Any) -> None:
        """Change columns of a stored finding (or of one created in this ledger)."""
        if row.id is None:
            for created, stored in self.created:
                if created is row:
                    stored.update(values)
                    return
            raise ValueError("a finding the ledger does not know")
        self.updates.setdefault(row.id, {}).update(values)

    def refresh(self, row: FindingRow, details: FindingDetails) -> bool:
        """Store new details if they differ from what the finding shows; True if they did."""
        values = details.columns()
        changed = {k: v for k, v in values.items() if row.details.get(k) != v}
        if changed:
            row.details.update(changed)
            self.update(row, **changed)
        return bool(changed)

    def link(self, row: FindingRow, osv_id: str) -> None:
        if osv_id in row.links:
            return
        row.links.add(osv_id)
        if row.id is not None and (row.id, osv_id) in self.unlinked:
            self.unlinked.remove((row.id, osv_id))  # unlinked earlier in this run: keep it
        else:
            self.linked.append((row, osv_id))

    def unlink(self, row: FindingRow, osv_id: str) -> None:
        if osv_id not in row.links:
            return
        row.links.discard(osv_id)
        pending = [i for i, (r, o) in enumerate(self.linked) if r is row and o == osv_id]
        if pending:
            del self.linked[pending[0]]  # linked earlier in this run: never written
        elif row.id is not None:
            self.unlinked.append((row.id, osv_id))

    def set_status(
        self,
        row: FindingRow,
        status: FindingStatus,
        kind: FindingEventKind,
        *,
        upload_id: int | None = None,
        osv_id: str | None = None,
        reason: str = "",
        **values: Any,
    ) -> None:
        before = row.status
        row.status = status
        self.update(row, status=status.value, **values)
        self.event(row, kind, before, upload_id=upload_id, osv_id=osv_id, reason=reason)

    def event(
        self,
        row: FindingRow,
        kind: FindingEventKind,
        before: FindingStatus | None,
        *,
        upload_id: int | None = None,
        osv_id: str | None = None,
        reason: str = "",
    ) -> None:
        self.events.append(_Event(row, kind, before, row.status, upload_id, osv_id, reason))

    @property
    def opened(self) -> list[FindingRow]:
        """Findings that started (or started again) to match, in the order they did."""
        kinds = (FindingEventKind.opened, FindingEventKind.reopened)
        return [e.row for e in self.events if e.kind in kinds]

    def count(self, kind: FindingEventKind) -> int:
        return sum(1 for e in self.events if e.kind is kind)

    def write(self) -> range:
        """Write everything, new findings first; returns the ids of the events written."""
        session = self.session
        if self.created:
            ids = allocate_ids(session, "inventory_findings", len(self.created))
            for (row, values), finding_id in zip(self.created, ids, strict=True):
                row.id = finding_id
                values["id"] = finding_id
                values["inventory_id"] = row.inventory_id
                values.update(
                    ecosystem=row.ecosystem,
                    name=row.name[:400],
                    name_key=row.name_key,
                    version=row.version,
                    purl=row.purl,
                    bom_ref=row.bom_ref,
                    group_id=row.group_id,
                )
            rows = [tuple(values.get(c) for c in _FINDING_COLUMNS) for _, values in self.created]
            _insert_findings(session, rows)
        if self.updates:
            session.execute(
                update(InventoryFinding),
                [{"id": finding_id, **values} for finding_id, values in self.updates.items()],
            )
        if self.unlinked:
            # Executemany of one (finding, record) pair per row: SQLite uses no index for a
            # row-value IN list.
            session.connection().execute(
                delete(FindingRecord)
                .where(FindingRecord.finding_id == bindparam("finding"))
                .where(FindingRecord.osv_id == bindparam("record")),
                [{"finding": f, "record": o} for f, o in sorted(set(self.unlinked))],
            )
        _insert_links(session, sorted({(int(row.id or 0), osv_id) for row, osv_id in self.linked}))
        event_ids = allocate_ids(session, "inventory_finding_events", len(self.events))
        _insert_events(
            session,
            [
                (
                    event_id,
                    event.row.id,
                    self.now,
                    self.actor[:300],
                    event.kind.value,
                    event.before.value if event.before else None,
                    event.after.value,
                    event.upload_id,
                    event.osv_id,
                    event.reason,
                )
                for event, event_id in zip(self.events, event_ids, strict=True)
            ],
        )
        return event_ids
