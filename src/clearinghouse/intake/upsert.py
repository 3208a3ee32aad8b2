"""Write parsed records to the store in batches: insert, replace when newer, link aliases.

One batch is one transaction: a batch is stored whole or not at all, so a process
killed at any instant leaves no half-written record, and running the same input again
finishes the job (records already stored compare unchanged by content hash).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, literal, select, update
from sqlalchemy.orm import Session

from clearinghouse.audit import append
from clearinghouse.intake.parse import ParsedKevCatalog, ParsedRecord
from clearinghouse.sbom.rematch import rematch_records
from clearinghouse.storage.base import UTCDateTime, utcnow
from clearinghouse.storage.bulk import BulkInsert
from clearinghouse.storage.ids import allocate_ids
from clearinghouse.vulnerabilities.models import (
    AffectedPackage,
    AliasGroup,
    AliasLink,
    KevEntry,
    Vulnerability,
    VulnerabilityRevision,
)

# PostgreSQL takes 65,535 bind parameters in one statement and SQLite 32,766: stay well under.
IN_CHUNK = 2000

ADDED, UPDATED, UNCHANGED, WITHDRAWN, STALE = "added", "updated", "unchanged", "withdrawn", "stale"


def _chunks(items: Sequence[Any], size: int = IN_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class BatchResult:
    counts: Counter[str] = field(default_factory=Counter)
    outcomes: list[tuple[str, str]] = field(default_factory=list)  # (id, status)


class _Groups:
    """Union-find over identifiers and existing alias groups, for one batch."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, node: str) -> str:
        parent = self.parent.setdefault(node, node)
        if parent != node:
            parent = self.parent[node] = self.find(parent)
        return parent

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.parent[root_b] = root_a


def _existing_links(session: Session, identifiers: Sequence[str]) -> dict[str, int]:
    links: dict[str, int] = {}
    for chunk in _chunks(identifiers):
        rows = session.execute(
            select(AliasLink.alias, AliasLink.group_id).where(AliasLink.alias.in_(chunk))
        )
        links.update({alias: group_id for alias, group_id in rows})
    return links


def assign_groups(
    session: Session,
    identifier_sets: Sequence[Sequence[str]],
    current_groups: Sequence[int | None] = (),
) -> list[int]:
    """The alias group of each identifier set, creating and merging groups as needed.

    Identifier sets that share an identifier, with each other or with a stored group,
    end in one group; when a batch joins two stored groups, the younger is folded into
    the older (the smaller id), records and links alike. Returns one group id per set.
    """
    identifiers = sorted({i for ids in identifier_sets for i in ids})
    links = _existing_links(session, identifiers)
    groups = _Groups()
    for index, ids in enumerate(identifier_sets):
        node = f"#{index}"
        for identifier in ids:
            groups.union(node, identifier)
            if identifier in links:
                groups.union(node, f"g{links[identifier]}")
        current = current_groups[index] if index < len(current_groups) else None
        if current is not None:
            groups.union(node, f"g{current}")
    existing_by_root: dict[str, list[int]] = {}
    for node in list(groups.parent):
        if node.startswith("g"):
            existing_by_root.setdefault(groups.find(node), []).append(int(node[1:]))
    roots = [groups.find(f"#{i}") for i in range(len(identifier_sets))]
    needing_new = sorted({root for root in roots if root not in existing_by_root})
    new_ids = allocate_ids(session, "alias_groups", len(needing_new))
    if needing_new:
        now = utcnow()
        _insert_groups(session, [(group_id, now) for group_id in new_ids])
    target_of_root = dict(zip(needing_new, new_ids, strict=True))
    for root, group_ids in existing_by_root.items():
        target = min(group_ids)
        target_of_root[root] = target
        merged = sorted(set(group_ids) - {target})
        if merged:
            session.execute(
                update(Vulnerability)
                .where(Vulnerability.group_id.in_(merged))
                .values(group_id=target)
            )
            session.execute(
                update(AliasLink).where(AliasLink.group_id.in_(merged)).values(group_id=target)
            )
    new_links = []
    for index, ids in enumerate(identifier_sets):
        target = target_of_root[roots[index]]
        for identifier in ids:
            if identifier not in links:
                links[identifier] = target
                new_links.append((identifier, target))
    _insert_links(session, new_links)
    return [target_of_root[root] for root in roots]


def _vulnerability_values(record: ParsedRecord, group_id: int, now: datetime) -> dict[str, Any]:
    return {
        "osv_id": record.osv_id,
        "group_id": group_id,
        "modified": record.modified,
        "published": record.published,
        "withdrawn": record.withdrawn,
        "summary": record.summary,
        "severity": record.severity,
        "document": record.document,
        "content_hash": record.content_hash,
        "source": record.source,
        "source_file": record.source_file,
        "ingested_at": now,
        "updated_at": now,
    }


def _package_rows(record: ParsedRecord, vulnerability_id: int) -> list[tuple[Any, ...]]:
    return [
        (vulnerability_id, ecosystem, name, key, purl)
        for ecosystem, name, key, purl in record.packages
    ]


_VULNERABILITY_COLUMNS = (
    "osv_id",
    "group_id",
    "modified",
    "published",
    "withdrawn",
    "summary",
    "severity",
    "document",
    "content_hash",
    "source",
    "source_file",
    "ingested_at",
    "updated_at",
)
_insert_vulnerabilities = BulkInsert(Vulnerability, ("id", *_VULNERABILITY_COLUMNS, "tlp"))
_insert_packages = BulkInsert(
    AffectedPackage, ("vulnerability_id", "ecosystem", "name", "name_key", "purl")
)
_insert_links = BulkInsert(AliasLink, ("alias", "group_id"))
_insert_groups = BulkInsert(AliasGroup, ("id", "created_at"))


def write_records(session: Session, records: Sequence[ParsedRecord], *, actor: str) -> BatchResult:
    """Store one batch (ids unique within it) in the caller's transaction."""
    result = BatchResult()
    ids = [r.osv_id for r in records]
    existing: dict[str, Any] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(
                Vulnerability.id,
                Vulnerability.osv_id,
                Vulnerability.modified,
                Vulnerability.content_hash,
                Vulnerability.group_id,
                Vulnerability.withdrawn,
            ).where(Vulnerability.osv_id.in_(chunk))
        )
        existing.update({row.osv_id: row for row in rows})

    to_add: list[ParsedRecord] = []
    to_update: list[tuple[ParsedRecord, Any]] = []
    for record in records:
        old = existing.get(record.osv_id)
        if old is None:
            to_add.append(record)
            status = WITHDRAWN if record.withdrawn else ADDED
        elif old.content_hash == record.content_hash:
            status = UNCHANGED
        elif record.modified <= old.modified:
            # OSV: `modified` is authoritative; an older or equal copy never overwrites.
            status = STALE
        else:
            to_update.append((record, old))
            status = WITHDRAWN if record.withdrawn and old.withdrawn is None else UPDATED
        result.counts[status] += 1
        result.outcomes.append((record.osv_id, status))

    if not to_add and not to_update:
        return result
    now = utcnow()
    changed = [*to_add, *(r for r, _ in to_update)]
    group_ids = assign_groups(
        session,
        [(r.osv_id, *r.aliases) for r in changed],
        [None] * len(to_add) + [old.group_id for _, old in to_update],
    )

    package_rows: list[tuple[Any, ...]] = []
    if to_add:
        new_ids = allocate_ids(session, "vulnerabilities", len(to_add))
        new_rows: list[tuple[Any, ...]] = []
        for record, group_id, vulnerability_id in zip(to_add, group_ids, new_ids, strict=False):
            values = _vulnerability_values(record, group_id, now)
            new_rows.append(
                (vulnerability_id, *(values[c] for c in _VULNERABILITY_COLUMNS), "CLEAR")
            )
            package_rows.extend(_package_rows(record, vulnerability_id))
        _insert_vulnerabilities(session, new_rows)

    if to_update:
        _keep_history([old.id for _, old in to_update], session, now)
        updated_ids = [old.id for _, old in to_update]
        for chunk in _chunks(updated_ids):
            session.execute(
                delete(AffectedPackage).where(AffectedPackage.vulnerability_id.in_(chunk))
            )
        update_values = []
        for (record, old), group_id in zip(to_update, group_ids[len(to_add) :], strict=True):
            values = _vulnerability_values(record, group_id, now)
            del values["osv_id"]
            values["id"] = old.id
            update_values.append(values)
            package_rows.extend(_package_rows(record, old.id))
        session.execute(update(Vulnerability), update_values)

    _insert_packages(session, package_rows)

    append(
        session,
        actor=actor,
        action="intake.records",
        subject_type="vulnerability",
        subject_id=f"{changed[0].osv_id}..{changed[-1].osv_id}"[:200],
        before=sorted([old.osv_id, old.content_hash] for _, old in to_update) or None,
        after=sorted([r.osv_id, r.content_hash] for r in changed),
        details={
            "added": [r.osv_id for r in to_add],
            "updated": [r.osv_id for r, _ in to_update],
            "withdrawn": [r.osv_id for r in changed if r.withdrawn],
        },
    )
    # In this transaction, so a stored change is never without its re-match (ADR 0008).
    rematch_records(session, [r.osv_id for r in changed], actor=actor, now=now)
    return result


def _keep_history(vulnerability_ids: list[int], session: Session, now: datetime) -> None:
    """Copy the versions about to be replaced into the revisions table."""
    for chunk in _chunks(vulnerability_ids):
        session.execute(
            insert(VulnerabilityRevision).from_select(
                [
                    "vulnerability_id",
                    "modified",
                    "content_hash",
                    "document",
                    "source",
                    "source_file",
                    "ingested_at",
                    "superseded_at",
                ],
                select(
                    Vulnerability.id,
                    Vulnerability.modified,
                    Vulnerability.content_hash,
                    Vulnerability.document,
                    Vulnerability.source,
                    Vulnerability.source_file,
                    Vulnerability.ingested_at,
                    literal(now, UTCDateTime()),
                ).where(Vulnerability.id.in_(chunk)),
            )
        )


def write_kev(session: Session, catalog: ParsedKevCatalog, *, actor: str) -> BatchResult:
    """Upsert KEV entries and link each CVE id into its alias group (making one if new)."""
    result = BatchResult()
    entries = {e.cve_id: e for e in catalog.entries}
    cve_ids = sorted(entries)
    stored: dict[str, str] = {}
    for chunk in _chunks(cve_ids):
        rows = session.execute(
            select(KevEntry.cve_id, KevEntry.content_hash).where(KevEntry.cve_id.in_(chunk))
        )
        stored.update({cve_id: content_hash for cve_id, content_hash in rows})
    now = utcnow()
    added: list[dict[str, Any]] = []
    updated: list[dict[str, Any]] = []
    for cve_id in cve_ids:
        entry = entries[cve_id]
        values: dict[str, Any] = {
            "cve_id": cve_id,
            "vendor_project": entry.vendor_project,
            "product": entry.product,
            "vulnerability_name": entry.vulnerability_name,
            "date_added": entry.date_added,
            "due_date": entry.due_date,
            "short_description": entry.short_description,
            "required_action": entry.required_action,
            "known_ransomware_campaign_use": entry.known_ransomware_campaign_use,
            "notes": entry.notes,
            "cwes": entry.cwes,
            "content_hash": entry.content_hash,
            "catalog_version": catalog.catalog_version,
            "source_file": catalog.source_file,
            "ingested_at": now,
            "in_catalog": True,
        }
        if cve_id not in stored:
            added.append(values)
            result.outcomes.append((cve_id, ADDED))
        elif stored[cve_id] != entry.content_hash:
            updated.append(values)
            result.outcomes.append((cve_id, UPDATED))
        else:
            result.outcomes.append((cve_id, UNCHANGED))
    result.counts.update(status for _, status in result.outcomes)
    if not added and not updated:
        return result
    if added:
        session.execute(insert(KevEntry), added)
        assign_groups(session, [(v["cve_id"],) for v in added])
    for values in updated:
        session.execute(update(KevEntry).where(KevEntry.cve_id == values["cve_id"]).values(values))
    append(
        session,
        actor=actor,
        action="intake.kev",
        subject_type="kev_catalog",
        subject_id=catalog.catalog_version,
        before=sorted([cve, stored[cve]] for cve in (v["cve_id"] for v in updated)) or None,
        after=sorted([v["cve_id"], v["content_hash"]] for v in (*added, *updated)),
        details={
            "added": [v["cve_id"] for v in added],
            "updated": [v["cve_id"] for v in updated],
            "source_file": catalog.source_file,
        },
    )
    return result
