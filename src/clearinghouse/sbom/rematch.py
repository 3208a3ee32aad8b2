"""Continuous matching: when intake adds or changes records, re-match only what they name.

A changed record names a few packages. The reverse index (`inventory_components`,
(ecosystem, name_key) first) gives every component of those packages in the latest
upload of every inventory, without reading the rest; each distinct version is evaluated
once against the changed records; the result is compared with the findings that rest on
those records, so that a new match opens (or reopens) a finding, a record that no longer
matches (narrowed ranges, withdrawn, relabelled) takes itself off the findings it was
behind, and a finding left with no record is marked fixed. Each organisation with new
findings gets one notification.

Intake calls `rematch_records` in the transaction that stores the records
(docs/decisions/0008): the records and their consequences commit together or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, exists, select, text
from sqlalchemy.orm import Session

from clearinghouse.audit import append
from clearinghouse.audit.models import AuditChainHead
from clearinghouse.identity.policy import Action, decide, inventory_reader
from clearinghouse.identity.principal import Principal
from clearinghouse.matching.errors import InvalidVersion, UnsupportedEcosystem
from clearinghouse.matching.versions import Version, parse_version
from clearinghouse.review.models import Notification
from clearinghouse.sbom.details import (
    FindingDetails,
    GroupFacts,
    RecordFacts,
    base_ecosystem,
    chunks,
    details_of,
    load_records,
)
from clearinghouse.sbom.ledger import FindingKey, FindingRow, Ledger, load_rows
from clearinghouse.sbom.models import (
    FindingEventKind,
    FindingRecord,
    FindingStatus,
    Inventory,
    InventoryComponent,
    InventoryFinding,
    SbomUpload,
)
from clearinghouse.sbom.vex import load_statements, statement_for
from clearinghouse.sharing.service import organisation_amber_groups
from clearinghouse.storage.base import utcnow
from clearinghouse.storage.bulk import BulkInsert
from clearinghouse.vulnerabilities.models import AffectedPackage, Vulnerability

ComponentKey = tuple[int, str, str, str]  # inventory, ecosystem, name_key, version
PackageVersion = tuple[str, str, str]  # ecosystem, name_key, version


@dataclass
class RematchResult:
    """What one re-match did; `as_dict` is what the audit log records."""

    records: int = 0
    components: int = 0  # components at an affected version, in latest uploads
    versions: int = 0  # distinct stored (package, version) pairs evaluated
    opened: int = 0
    reopened: int = 0
    fixed: int = 0
    updated: int = 0  # findings whose records or details changed
    notifications: int = 0
    inventories: set[int] = field(default_factory=set)
    organisations: set[int] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(self.opened or self.reopened or self.fixed or self.updated)

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "components": self.components,
            "versions": self.versions,
            "opened": self.opened,
            "reopened": self.reopened,
            "fixed": self.fixed,
            "updated": self.updated,
            "notifications": self.notifications,
            "inventories": sorted(self.inventories),
            "organisations": sorted(self.organisations),
        }


def serialise_with_intake(session: Session) -> None:
    """Take the lock that every intake batch and every upload hold until they commit.

    Without it, on PostgreSQL an upload scanning while a batch of records is being
    stored would see neither the records (not yet committed) nor be seen by their
    re-match (its upload not yet committed): a change lost between two transactions.
    The audit chain head is the row every writer already queues on, so no new lock is
    introduced; SQLite's BEGIN IMMEDIATE serialises writers anyway.
    """
    session.execute(select(AuditChainHead.id).where(AuditChainHead.id == 1).with_for_update())


@dataclass(slots=True)
class _Candidate:
    """One component identity in a latest upload that a changed record may affect."""

    inventory_id: int
    organisation_id: int
    upload_id: int
    component_id: int
    ecosystem: str
    name_key: str
    version: str
    name: str
    purl: str | None
    bom_ref: str | None

    @property
    def key(self) -> ComponentKey:
        return (self.inventory_id, self.ecosystem, self.name_key, self.version)


def _package_keys(session: Session, osv_ids: Sequence[str]) -> dict[str, set[tuple[str, str]]]:
    """The (ecosystem, name_key) each changed record names, as `affected_packages` has it."""
    keys: dict[str, set[tuple[str, str]]] = {osv_id: set() for osv_id in osv_ids}
    for chunk in chunks(osv_ids):
        rows = session.execute(
            select(Vulnerability.osv_id, AffectedPackage.ecosystem, AffectedPackage.name_key)
            .join(AffectedPackage, AffectedPackage.vulnerability_id == Vulnerability.id)
            .where(Vulnerability.osv_id.in_(chunk))
        )
        for osv_id, ecosystem, name_key in rows:
            keys[osv_id].add((ecosystem, name_key))
    return keys


def _component_keys(record_keys: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Ecosystem -> package names of the components the records' packages may be."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for ecosystem, name_key in record_keys:
        wanted[ecosystem].add(name_key)
        if ":" in ecosystem:  # a "Debian:12" entry also speaks to components in "Debian"
            wanted[base_ecosystem(ecosystem)].add(name_key)
    return wanted


# Queries name one ecosystem and a list of names (`ecosystem = ? AND name_key IN (...)`)
# rather than a list of (ecosystem, name) pairs: SQLite does not use an index for a
# row-value IN list, and scans the whole table instead.


def _distinct_versions_sql(count: int) -> TextClause:
    """The distinct versions stored of `count` packages of one ecosystem, by index seeks only.

    A package in most inventories has 100,000 index entries but a few dozen versions;
    `SELECT DISTINCT` would read every entry, and neither SQLite nor PostgreSQL skips
    through an index on its own. The recursive query asks the index for the next larger
    version, once per distinct version (a "loose index scan"). Only placeholder names
    are generated here; every value is a bound parameter.
    """
    wanted = ", ".join(f"(:name_{i})" for i in range(count))
    return text(
        f"""
        WITH RECURSIVE wanted(name_key) AS (VALUES {wanted}),
        stored(name_key, version) AS (
            SELECT w.name_key, (
                SELECT MIN(c.version) FROM inventory_components c
                WHERE c.ecosystem = :ecosystem AND c.name_key = w.name_key
            ) FROM wanted w
            UNION ALL
            SELECT s.name_key, (
                SELECT MIN(c.version) FROM inventory_components c
                WHERE c.ecosystem = :ecosystem AND c.name_key = s.name_key
                AND c.version > s.version
            ) FROM stored s WHERE s.version IS NOT NULL
        )
        SELECT name_key, version FROM stored WHERE version IS NOT NULL
        """  # noqa: S608
    )


def _stored_versions(session: Session, keys: dict[str, set[str]]) -> list[PackageVersion]:
    """Every version any upload holds of these packages; the reverse index alone answers."""
    connection = session.connection()
    found: list[PackageVersion] = []
    for ecosystem, names in sorted(keys.items()):
        for chunk in chunks(sorted(names)):
            parameters = {f"name_{i}": name for i, name in enumerate(chunk)}
            rows = connection.execute(
                _distinct_versions_sql(len(chunk)), {"ecosystem": ecosystem, **parameters}
            )
            found.extend((ecosystem, name_key, version) for name_key, version in rows)
    return found


def _affected_components(session: Session, affected: Iterable[PackageVersion]) -> list[_Candidate]:
    """Components at these versions in the latest upload of every inventory."""
    versions: dict[tuple[str, str], set[str]] = defaultdict(set)
    for ecosystem, name_key, version in affected:
        versions[(ecosystem, name_key)].add(version)
    connection = session.connection()
    found: dict[ComponentKey, _Candidate] = {}
    for (ecosystem, name_key), wanted in sorted(versions.items()):
        for chunk in chunks(sorted(wanted)):
            rows = connection.execute(
                select(
                    InventoryComponent.id,
                    InventoryComponent.upload_id,
                    InventoryComponent.version,
                    InventoryComponent.name,
                    InventoryComponent.purl,
                    InventoryComponent.bom_ref,
                    Inventory.id.label("inventory_id"),
                    Inventory.organisation_id,
                )
                .join(Inventory, Inventory.latest_upload_id == InventoryComponent.upload_id)
                .where(InventoryComponent.ecosystem == ecosystem)
                .where(InventoryComponent.name_key == name_key)
                .where(InventoryComponent.version.in_(chunk))
            )
            for row in rows:
                key = (row.inventory_id, ecosystem, name_key, row.version)
                if key not in found:  # the same package and version twice is one finding
                    found[key] = _Candidate(
                        row.inventory_id,
                        row.organisation_id,
                        row.upload_id,
                        row.id,
                        ecosystem,
                        name_key,
                        row.version,
                        row.name,
                        row.purl,
                        row.bom_ref,
                    )
    return list(found.values())


def _existing_findings(
    session: Session, osv_ids: Sequence[str], group_ids: Sequence[int]
) -> list[FindingRow]:
    """Findings that rest on a record of the touched groups, or belong to one of them.

    Through the links, too: after alias groups merge, a finding still carries the group
    id it was opened with, while its records have moved to the surviving group.
    """
    members: list[str] = []
    for chunk in chunks(list(group_ids)):
        members.extend(
            session.scalars(select(Vulnerability.osv_id).where(Vulnerability.group_id.in_(chunk)))
        )
    ids = sorted(set(members) | set(osv_ids))
    found: dict[int, FindingRow] = {}
    for chunk in chunks(ids):
        linked = select(FindingRecord.finding_id).where(FindingRecord.osv_id.in_(chunk))
        for row in load_rows(session, InventoryFinding.id.in_(linked)):
            found[row.id or 0] = row
    for chunk in chunks(list(group_ids)):
        for row in load_rows(session, InventoryFinding.group_id.in_(chunk)):
            found[row.id or 0] = row
    return list(found.values())


class _Visibility:
    """Whether an organisation may read a record: the policy's answer, asked once per pair."""

    def __init__(self, now: datetime, session: Session) -> None:
        self.now = now
        self.session = session
        self.answers: dict[tuple[int, str], bool] = {}
        self.readers: dict[int, Principal] = {}

    def _reader(self, organisation_id: int, record: RecordFacts) -> Principal:
        # An organisation's groups matter only to a record shared with a group: the common
        # record (no group) is decided without a query per organisation.
        if record.sharing_group_id is None:
            return inventory_reader(organisation_id)
        if organisation_id not in self.readers:
            groups = organisation_amber_groups(self.session, organisation_id)
            self.readers[organisation_id] = inventory_reader(organisation_id, groups)
        return self.readers[organisation_id]

    def __call__(self, organisation_id: int, record: RecordFacts) -> bool:
        key = (organisation_id, record.osv_id)
        if key not in self.answers:
            reader = self._reader(organisation_id, record)
            decision = decide(reader, Action.vuln_read, record, now=self.now)
            self.answers[key] = bool(decision)
        return self.answers[key]


def _parse(ecosystem: str, version: str) -> Version | None:
    try:
        return parse_version(ecosystem, version)
    except (InvalidVersion, UnsupportedEcosystem):
        return None


@dataclass
class _Rematch:
    """One run: the changed records, what they match now, and the findings they touch."""

    changed: dict[str, RecordFacts]
    ledger: Ledger
    result: RematchResult
    visible: _Visibility
    rows: dict[FindingKey, FindingRow] = field(default_factory=dict)
    touched: dict[int, FindingRow] = field(default_factory=dict)  # by id(row)
    candidates: dict[ComponentKey, _Candidate] = field(default_factory=dict)
    # Findings that start (or start again) to match: (row, its component, the record).
    openings: list[tuple[FindingRow, _Candidate, str]] = field(default_factory=list)

    def touch(self, row: FindingRow) -> None:
        self.touched[id(row)] = row

    def verdicts(self, versions: Sequence[PackageVersion]) -> dict[PackageVersion, list[str]]:
        """The changed records that affect each stored version: each evaluated once."""
        found: dict[PackageVersion, list[str]] = {}
        for ecosystem, name_key, stored in versions:
            version = _parse(ecosystem, stored)
            if version is None:
                continue
            matching = [
                r.osv_id for r in self.changed.values() if r.affects(ecosystem, name_key, version)
            ]
            if matching:
                found[(ecosystem, name_key, stored)] = matching
        self.result.versions = len(versions)
        return found

    def evaluate(
        self, verdicts: dict[PackageVersion, list[str]], candidates: Sequence[_Candidate]
    ) -> dict[FindingKey, set[str]]:
        """(component identity, group) -> the changed records that match it, visibly."""
        desired: dict[FindingKey, set[str]] = defaultdict(set)
        for candidate in candidates:
            package = (candidate.ecosystem, candidate.name_key, candidate.version)
            for osv_id in verdicts.get(package, ()):
                record = self.changed[osv_id]
                if self.visible(candidate.organisation_id, record):
                    desired[(*candidate.key, record.group_id)].add(osv_id)
                    self.candidates[candidate.key] = candidate
        return desired

    def regroup(self, rows: Sequence[FindingRow], groups: dict[str, int]) -> None:
        """Move open findings whose records now belong to another (surviving) alias group."""
        moving = []
        for row in sorted(rows, key=lambda r: r.id or 0):
            current = {groups[o] for o in row.links if o in groups}
            if row.is_open and current and row.group_id not in current:
                moving.append((row, min(current)))
            else:
                self.rows[row.key] = row
        for row, group_id in moving:
            target = self.rows.get((*row.key[:4], group_id))
            self.touch(row)
            if target is None:
                self.ledger.update(row, group_id=group_id)
                row.group_id = group_id
                self.ledger.event(
                    row,
                    FindingEventKind.regrouped,
                    row.status,
                    reason="its records joined another alias group",
                )
                self.rows[row.key] = row
                continue
            # Two findings turned out to be one vulnerability: keep the one of the
            # surviving group (reopened with this one's status if it had been fixed).
            self.touch(target)
            for osv_id in sorted(row.links):
                self.ledger.link(target, osv_id)
                self.ledger.unlink(row, osv_id)
            reason = f"the same vulnerability as finding {target.id} (alias groups merged)"
            if not target.is_open:
                self.ledger.set_status(
                    target, row.status, FindingEventKind.reopened, reason=reason, fixed_at=None
                )
            self.ledger.set_status(
                row,
                FindingStatus.fixed,
                FindingEventKind.fixed,
                reason=reason,
                fixed_at=self.ledger.now,
            )
            self.result.fixed += 1
            self.rows[row.key] = row

    def apply(self, desired: dict[FindingKey, set[str]]) -> None:
        """Open, reopen or extend the findings the changed records now match."""
        for key, osv_ids in sorted(desired.items()):
            row = self.rows.get(key)
            candidate = self.candidates[key[:4]]
            first = sorted(osv_ids)[0]
            if row is None:
                row = FindingRow(
                    id=None,
                    inventory_id=key[0],
                    ecosystem=key[1],
                    name=key[2],  # the component's own spelling is read in `_complete`
                    name_key=key[2],
                    version=key[3],
                    purl=None,
                    bom_ref=None,
                    group_id=key[4],
                    status=FindingStatus.new,
                    links=set(osv_ids),
                )
                self.rows[key] = row
                self.openings.append((row, candidate, first))
                self.result.opened += 1
            elif not row.is_open:
                for osv_id in sorted(row.links - osv_ids):
                    self.ledger.unlink(row, osv_id)  # what it rested on before it was fixed
                for osv_id in sorted(osv_ids):
                    self.ledger.link(row, osv_id)
                self.openings.append((row, candidate, first))
                self.result.reopened += 1
            else:
                added = sorted(osv_ids - row.links)
                for osv_id in added:
                    self.ledger.link(row, osv_id)
                if added:
                    self.ledger.event(
                        row,
                        FindingEventKind.records,
                        row.status,
                        osv_id=added[0],
                        reason="now also rests on " + ", ".join(added),
                    )
            self.touch(row)

    def withdraw(self, desired: dict[FindingKey, set[str]]) -> None:
        """Take changed records off the open findings they no longer match."""
        for row in list(self.rows.values()):
            if not row.is_open:
                continue
            gone = sorted(
                osv_id
                for osv_id in row.links
                if osv_id in self.changed and osv_id not in desired.get(row.key, ())
            )
            if not gone:
                continue
            for osv_id in gone:
                self.ledger.unlink(row, osv_id)
            self.touch(row)
            reason = "; ".join(self._why_not(osv_id) for osv_id in gone)
            if row.links:
                self.ledger.event(
                    row, FindingEventKind.records, row.status, osv_id=gone[0], reason=reason
                )
                continue
            self.ledger.set_status(
                row,
                FindingStatus.fixed,
                FindingEventKind.fixed,
                osv_id=gone[0],
                reason=reason,
                fixed_at=self.ledger.now,
            )
            self.result.fixed += 1

    def _why_not(self, osv_id: str) -> str:
        if self.changed[osv_id].withdrawn:
            return f"{osv_id} was withdrawn"
        return f"{osv_id} no longer affects this version (or is no longer visible)"


def _any_latest_upload(session: Session) -> bool:
    return bool(session.scalar(select(exists().where(Inventory.latest_upload_id.is_not(None)))))


def rematch_records(
    session: Session,
    osv_ids: Iterable[str],
    *,
    actor: str = "system",
    now: datetime | None = None,
) -> RematchResult:
    """Re-match stored inventories against records just added, updated or withdrawn.

    Runs in the caller's transaction; running it again changes nothing (idempotent).
    """
    now = now or utcnow()
    ids = sorted(set(osv_ids))
    result = RematchResult(records=len(ids))
    if not ids or not _any_latest_upload(session):
        return result
    serialise_with_intake(session)
    keys = _package_keys(session, ids)
    versions = _stored_versions(session, _component_keys(k for ks in keys.values() for k in ks))
    linked = session.scalars(
        select(FindingRecord.osv_id).where(FindingRecord.osv_id.in_(ids)).distinct()
    ).all()
    # Only records that could change something are read and compiled: those naming a
    # package some upload holds, and those some finding rests on.
    stored = {name_key for _, name_key, _ in versions}
    needed = {o for o, ks in keys.items() if any(k[1] in stored for k in ks)} | set(linked)
    if not needed:
        return result
    changed = load_records(session, needed)
    group_ids = sorted({r.group_id for r in changed.values()})
    existing = _existing_findings(session, sorted(changed), group_ids)

    ledger = Ledger(session, actor=actor, now=now)
    run = _Rematch(changed, ledger, result, _Visibility(now, session))
    run.regroup(existing, _current_groups(session, {o for row in existing for o in row.links}))
    verdicts = run.verdicts(versions)
    candidates = _affected_components(session, verdicts)
    result.components = len(candidates)
    desired = run.evaluate(verdicts, candidates)
    run.apply(desired)
    run.withdraw(desired)
    if not run.touched:
        return result
    _complete(run, session, now)
    # Touched is not changed: a record updated without effect on a finding leaves it be.
    with_events = {id(e.row) for e in ledger.events}
    changed_rows = [
        row
        for row in run.touched.values()
        if id(row) in with_events or (row.id is not None and row.id in ledger.updates)
    ]
    if not changed_rows:
        return result
    event_ids = ledger.write()
    _notify(session, run, ledger, event_ids, now)
    moved = result.opened + result.reopened + result.fixed
    result.updated = max(0, len(changed_rows) - moved)
    result.inventories = {row.inventory_id for row in changed_rows}
    if result.changed:
        append(
            session,
            actor=actor,
            action="inventory.rematch",
            subject_type="vulnerability",
            subject_id=",".join(ids)[:200],
            after=result.as_dict(),
            details=result.as_dict(),
        )
    return result


def _current_groups(session: Session, osv_ids: Iterable[str]) -> dict[str, int]:
    groups: dict[str, int] = {}
    for chunk in chunks(sorted(set(osv_ids))):
        rows = session.execute(
            select(Vulnerability.osv_id, Vulnerability.group_id).where(
                Vulnerability.osv_id.in_(chunk)
            )
        )
        groups.update({osv_id: group_id for osv_id, group_id in rows})
    return groups


def _complete(run: _Rematch, session: Session, now: datetime) -> None:
    """Fill in new and reopened findings (component, VEX) and refresh every touched one."""
    openings = run.openings
    statements = _vex_statements(session, {c.upload_id for _, c, _ in openings})
    rows = [r for r in run.touched.values() if r.links]
    others = {o for row in rows for o in row.links} - set(run.changed)
    records = dict(run.changed)
    records.update(load_records(session, others))
    groups = GroupFacts.load(session, {row.group_id for row in rows})
    by_row = {id(o[0]): o for o in openings}
    # Thousands of inventories share a few package versions: compute each answer once.
    computed: dict[tuple[int, str, str, str, frozenset[str]], FindingDetails | None] = {}
    for row in rows:
        links = frozenset(o for o in row.links if o in records)
        key = (row.group_id, row.ecosystem, row.name_key, row.version, links)
        if key not in computed:
            version = _parse(row.ecosystem, row.version)
            computed[key] = (
                details_of(
                    [records[o] for o in sorted(links)],
                    groups,
                    group_id=row.group_id,
                    ecosystem=row.ecosystem,
                    name_key=row.name_key,
                    version=version,
                )
                if version is not None and links
                else None
            )
        details = computed[key]
        if details is None:
            continue
        opening = by_row.get(id(row))
        if opening is None:
            run.ledger.refresh(row, details)
            continue
        _, candidate, first = opening
        statement = statement_for(
            statements.get(candidate.upload_id, ()),
            details.aliases,
            bom_ref=candidate.bom_ref,
            purl=candidate.purl,
        )
        status = FindingStatus.not_affected if statement and statement.suppresses else None
        vex = _vex_columns(statement)
        if row.id is None:
            row.name, row.purl, row.bom_ref = candidate.name, candidate.purl, candidate.bom_ref
            row.status = status or FindingStatus.new
            run.ledger.create(
                row,
                details,
                upload_id=candidate.upload_id,
                vex=vex,
                osv_id=first,
                reason=f"{first} affects {row.version}",
            )
            continue
        run.ledger.refresh(row, details)
        run.ledger.set_status(
            row,
            status or FindingStatus.new,
            FindingEventKind.reopened,
            upload_id=candidate.upload_id,
            osv_id=first,
            reason=f"{first} affects {row.version} again",
            fixed_at=None,
            last_seen=now,
            last_upload_id=candidate.upload_id,
            status_reason=vex.get("reason"),
            vex_state=vex.get("state"),
            vex_justification=vex.get("justification"),
            vex_detail=vex.get("detail"),
        )


def _vex_columns(statement: Any) -> dict[str, str | None]:
    if statement is None:
        return {}
    return {
        "state": statement.state,
        "justification": statement.justification,
        "detail": statement.detail,
        "reason": f"VEX in the SBOM: {statement.state}"
        + (f" ({statement.justification})" if statement.justification else ""),
    }


def _vex_statements(session: Session, upload_ids: Iterable[int]) -> dict[int, Any]:
    statements: dict[int, Any] = {}
    for chunk in chunks(sorted(set(upload_ids))):
        rows = session.execute(
            select(SbomUpload.id, SbomUpload.vex).where(
                SbomUpload.id.in_(chunk), SbomUpload.vex != "[]"
            )
        )
        statements.update({upload_id: load_statements(text) for upload_id, text in rows})
    return statements


def _notify(
    session: Session, run: _Rematch, ledger: Ledger, event_ids: range, now: datetime
) -> None:
    """One notification per organisation with new findings (suppressed ones do not count)."""
    opened = [row for row in ledger.opened if row.status is FindingStatus.new]
    if not opened:
        return
    by_org: dict[int, list[FindingRow]] = defaultdict(list)
    for row in opened:
        by_org[run.candidates[row.key[:4]].organisation_id].append(row)
    notices = []
    for organisation_id, rows in sorted(by_org.items()):
        inventories = sorted({row.inventory_id for row in rows})
        shown = sorted({str(row.details.get("primary_id")) for row in rows})
        body = (
            f"{len(rows)} new finding(s) in {len(inventories)} inventory(ies) after new "
            f"vulnerability records: {', '.join(shown[:10])}"
            + (f" and {len(shown) - 10} more" if len(shown) > 10 else "")
            + f". See /inventories/{inventories[0]}."
        )
        notices.append((organisation_id, str(inventories[0]), body))
        run.result.organisations.add(organisation_id)
    # The first event of this run is unique to it: a retried run queues nothing new (it
    # finds no new findings), and a later run is a later event.
    run.result.notifications = queue_many(
        session, notices, event_key=f"inventory-rematch:{event_ids.start}", now=now
    )


_insert_notifications = BulkInsert(
    Notification,
    ("organisation_id", "kind", "subject_type", "subject_id", "body", "dedupe_key", "created_at"),
)


def queue_many(
    session: Session, notices: Sequence[tuple[int, str, str]], *, event_key: str, now: datetime
) -> int:
    """`review.notifications.queue` of "finding.new" for many organisations in two statements.

    (organisation, inventory id, body) each; the same outbox rows and dedupe keys as
    `queue` writes (`<event_key>:org:<id>`). `queue` takes a savepoint and a round trip per
    recipient, about 2 ms each here: a record in a popular package notifies hundreds of
    organisations, which alone would take the re-match past its 100 ms budget. (Belongs in
    `review.notifications`, next to `queue`, when its owners agree.)
    """
    keys = {org: f"{event_key}:org:{org}"[:200] for org, _, _ in notices}
    taken: set[str] = set()
    for chunk in chunks(sorted(keys.values())):
        taken.update(
            session.scalars(
                select(Notification.dedupe_key).where(Notification.dedupe_key.in_(chunk))
            )
        )
    rows = [
        (org, "finding.new", "inventory", subject_id, body, keys[org], now)
        for org, subject_id, body in notices
        if keys[org] not in taken
    ]
    _insert_notifications(session, rows)
    return len(rows)
