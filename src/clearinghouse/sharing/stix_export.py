"""The vulnerability store as STIX 2.1: the records a principal may read, with their KEV facts.

Access is decided by `identity.policy.visible_filter` only; this module reads rows through
it and hands the documents to the pure writer `formats.stix`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import stix2
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from clearinghouse.errors import NotFound
from clearinghouse.formats.stix import KevFacts, bundle, record_objects
from clearinghouse.identity import Principal, visible_filter
from clearinghouse.storage.base import utcnow
from clearinghouse.vulnerabilities.models import AliasLink, KevEntry, Vulnerability
from clearinghouse.vulnerabilities.store import identifier_candidates

MAX_EXPORT_IDENTIFIERS = 1000


@dataclass(frozen=True)
class StoredRecord:
    """One current record as the exporter needs it: its document, label and KEV facts."""

    row_id: int
    osv_id: str
    group_id: int
    tlp: str
    date_added: datetime  # when this version reached this server (`updated_at`)
    received_at: datetime  # when the record first did (`ingested_at`)
    document: dict[str, Any]
    kev: tuple[KevFacts, ...] = ()

    def stix_objects(self) -> list[Any]:
        return record_objects(
            self.document, tlp=self.tlp, kev=self.kev, received_at=self.received_at
        )


def readable(principal: Principal, now: datetime | None = None) -> ColumnElement[bool]:
    """The rows of `vulnerabilities` that `principal` may read at `now` (the policy's twin)."""
    return visible_filter(
        principal,
        tlp_column=Vulnerability.tlp,
        owner_column=Vulnerability.owner_org_id,
        embargo_column=Vulnerability.embargo_ends_at,
        sharing_group_column=Vulnerability.sharing_group_id,
        now=now or utcnow(),
    )


def _kev_by_group(session: Session, group_ids: Iterable[int]) -> dict[int, list[KevFacts]]:
    wanted = sorted(set(group_ids))
    found: dict[int, list[KevFacts]] = defaultdict(list)
    if not wanted:
        return found
    rows = session.execute(
        select(AliasLink.group_id, KevEntry)
        .join(KevEntry, KevEntry.cve_id == AliasLink.alias)
        .where(AliasLink.group_id.in_(wanted), KevEntry.in_catalog.is_(True))
        .order_by(KevEntry.cve_id)
    ).all()
    for group_id, entry in rows:
        found[group_id].append(
            KevFacts(
                cve_id=entry.cve_id,
                vendor_project=entry.vendor_project,
                product=entry.product,
                date_added=entry.date_added,
                due_date=entry.due_date,
                required_action=entry.required_action,
                known_ransomware_campaign_use=entry.known_ransomware_campaign_use,
            )
        )
    return found


def stored_records(session: Session, rows: Sequence[Vulnerability]) -> list[StoredRecord]:
    """`rows` with their KEV facts, read in one query for all of them (no query per row)."""
    kev = _kev_by_group(session, (row.group_id for row in rows))
    return [
        StoredRecord(
            row_id=row.id,
            osv_id=row.osv_id,
            group_id=row.group_id,
            tlp=row.tlp,
            date_added=row.updated_at,
            received_at=row.ingested_at,
            document=orjson.loads(row.document),
            kev=tuple(kev.get(row.group_id, ())),
        )
        for row in rows
    ]


def _group_ids(session: Session, identifiers: Sequence[str]) -> list[int]:
    groups: list[int] = []
    for identifier in identifiers:
        group_id = None
        for candidate in identifier_candidates(identifier):
            group_id = session.scalar(
                select(AliasLink.group_id).where(AliasLink.alias == candidate)
            )
            if group_id is not None:
                break
        if group_id is None:
            raise NotFound(f"no vulnerability is known as {identifier!r}")
        groups.append(group_id)
    return groups


def export_bundle(
    session: Session,
    principal: Principal,
    identifiers: Sequence[str] = (),
    *,
    now: datetime | None = None,
) -> stix2.Bundle:
    """A bundle of the records `principal` may read: those of `identifiers`' alias groups, or all.

    An identifier that names nothing, or only records the principal may not read, is a
    `NotFound`, worded the same either way so that it tells nothing about hidden records.
    """
    if len(identifiers) > MAX_EXPORT_IDENTIFIERS:
        raise NotFound(f"at most {MAX_EXPORT_IDENTIFIERS} identifiers per export")
    query = select(Vulnerability).where(readable(principal, now)).order_by(Vulnerability.osv_id)
    if identifiers:
        groups = _group_ids(session, identifiers)
        query = query.where(Vulnerability.group_id.in_(sorted(set(groups))))
        rows = session.scalars(query).all()
        seen = {row.group_id for row in rows}
        for identifier, group_id in zip(identifiers, groups, strict=True):
            if group_id not in seen:
                raise NotFound(f"no vulnerability is known as {identifier!r}")
    else:
        rows = session.scalars(query).all()
    objects: list[Any] = []
    for record in stored_records(session, rows):
        objects += record.stix_objects()
    return bundle(objects)
