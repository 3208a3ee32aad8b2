"""The objects of one TAXII collection, filtered and paged with a cursor that survives updates.

Every stored record expands into its STIX objects (`formats.stix`), all added to this server
when the record's current version was (`updated_at`: its first ingest, or the last update
that changed it). Objects are ordered by (date added, record row, position in the record), and
`next` is that position, so a page never repeats or skips an object however many records
arrive or change meanwhile: a record that changes moves, with its new version, to the end.

A package named by many records is one `software` object: it is served with the first record
(in that order) that names it, among the records the reader may read in the collection, and
is left out of the others. The collection's TLP 2.0 marking definition is served likewise,
once, with the collection's first record. Only the current version of each record is
served; a record that STIX cannot express (no usable date at all) is left out.
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from clearinghouse.errors import ClearinghouseError
from clearinghouse.formats.stix import TLP2_MARKINGS, StixExportError, software_id, stix_id
from clearinghouse.identity import Principal
from clearinghouse.sharing.stix_export import StoredRecord, readable, stored_records
from clearinghouse.sharing.taxii_collections import TaxiiCollection
from clearinghouse.storage.base import utcnow
from clearinghouse.vulnerabilities.models import AffectedPackage, AliasLink, KevEntry, Vulnerability

STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_MARKINGS: dict[str, dict[str, Any]] = {
    label: orjson.loads(marking.serialize()) for label, marking in TLP2_MARKINGS.items()
}
MAX_MATCH_VALUES = 100


class BadTaxiiRequest(ClearinghouseError):
    """A query parameter that is malformed (the TAXII error names which)."""

    status_code = 400
    title = "Bad TAXII request"


@dataclass(frozen=True)
class ObjectFilter:
    """The filters of TAXII 2.1 section 3.6 (and the special `added_after`)."""

    added_after: datetime | None = None
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    version_keywords: frozenset[str] = frozenset({"last"})  # last, first, all
    version_stamps: frozenset[datetime] = frozenset()
    spec_versions: frozenset[str] = frozenset()

    def keeps(self, obj: Mapping[str, Any], date_added: datetime) -> bool:
        if self.ids and obj["id"] not in self.ids:
            return False
        if self.types and obj["type"] not in self.types:
            return False
        if self.spec_versions and "2.1" not in self.spec_versions:
            return False
        # One version of each object is held, so "last", "first" and "all" all name it.
        if self.version_keywords or not self.version_stamps:
            return True
        return version_datetime(obj, date_added) in self.version_stamps


@dataclass(frozen=True)
class Position:
    """Where a page ended: after object `index` of the record `row_id` added at `date_added`."""

    date_added: datetime
    row_id: int
    index: int

    def token(self) -> str:
        raw = orjson.dumps([self.date_added.isoformat(), self.row_id, self.index])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str) -> Position:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            date_text, row_id, index = orjson.loads(raw)
            position = cls(datetime.fromisoformat(date_text), int(row_id), int(index))
        except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
            raise BadTaxiiRequest(f"next={token[:80]!r} is not a token this server gave") from None
        if position.date_added.tzinfo is None or not (
            0 <= position.row_id < 1 << 62 and 0 <= position.index <= 1 << 30
        ):
            raise BadTaxiiRequest(f"next={token[:80]!r} is not a token this server gave")
        return position


@dataclass(frozen=True)
class Served:
    """One object as a collection serves it."""

    obj: dict[str, Any]  # the object's JSON value
    date_added: datetime

    @property
    def id(self) -> str:
        value: str = self.obj["id"]
        return value

    @property
    def version(self) -> str:
        return version_of(self.obj, self.date_added)


@dataclass
class Page:
    objects: list[Served] = field(default_factory=list)
    more: bool = False
    next: str | None = None
    last: Position | None = None  # where the objects so far end


def taxii_timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def version_datetime(obj: Mapping[str, Any], date_added: datetime) -> datetime:
    """TAXII's version of an object: `modified`, else `created`, else the date it was added."""
    for name in ("modified", "created"):
        value = obj.get(name)
        if isinstance(value, str):
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
    return date_added


class _ObjectCache:
    """Each record's objects as JSON values, kept per process: building them with stix2 is
    what serving costs most, and a record's objects only change with its version, label or
    KEV facts, which are all in the key."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[tuple[Any, ...], list[dict[str, Any]]] = OrderedDict()
        self.lock = threading.Lock()

    def objects(self, record: StoredRecord) -> list[dict[str, Any]]:
        key = (record.row_id, record.date_added, record.tlp, record.kev)
        with self.lock:
            found = self.entries.get(key)
            if found is not None:
                self.entries.move_to_end(key)
                return found
        try:
            built = [orjson.loads(obj.serialize()) for obj in record.stix_objects()]
        except StixExportError:
            # A record with no STIX form (no usable date at all) is left out, not a 500.
            built = []
        with self.lock:
            self.entries[key] = built
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
        return built


OBJECT_CACHE = _ObjectCache(20_000)


def version_of(obj: Mapping[str, Any], date_added: datetime) -> str:
    """The version as the object itself spells it (its `modified`), or the date it was added."""
    for name in ("modified", "created"):
        value = obj.get(name)
        if isinstance(value, str):
            return value
    return taxii_timestamp(date_added)


@dataclass(frozen=True)
class CollectionScope:
    """The records of one collection that one reader may read (and, maybe, added after)."""

    principal: Principal
    collection: TaxiiCollection
    added_after: datetime | None
    now: datetime

    @property
    def marking(self) -> dict[str, Any]:
        """The TLP 2.0 marking definition of the collection's label, as a JSON value."""
        return _MARKINGS[self.collection.tlp.value]

    def condition(self) -> ColumnElement[bool]:
        terms = [readable(self.principal, self.now), self.collection.membership()]
        if self.added_after is not None:
            terms.append(Vulnerability.updated_at > self.added_after)
        return and_(*terms)


def _after(position: Position, *, inclusive: bool) -> ColumnElement[bool]:
    same_date = Vulnerability.updated_at == position.date_added
    row = Vulnerability.id >= position.row_id if inclusive else Vulnerability.id > position.row_id
    return or_(Vulnerability.updated_at > position.date_added, and_(same_date, row))


def _before(row: Vulnerability) -> ColumnElement[bool]:
    same_date = Vulnerability.updated_at == row.updated_at
    return or_(
        Vulnerability.updated_at < row.updated_at, and_(same_date, Vulnerability.id < row.id)
    )


def _any_before(session: Session, scope: CollectionScope, first: Vulnerability) -> bool:
    """Whether the scope holds a record before `first` (which then carried the marking)."""
    earlier = session.scalar(
        select(Vulnerability.id).where(scope.condition(), _before(first)).limit(1)
    )
    return earlier is not None


def _software_served_before(
    session: Session, scope: CollectionScope, first: Vulnerability, names: set[str]
) -> set[str]:
    """Software ids already served with an earlier record of the scope (one query per batch)."""
    if not names:
        return set()
    rows = session.execute(
        select(AffectedPackage.ecosystem, AffectedPackage.name, AffectedPackage.purl)
        .join(Vulnerability, Vulnerability.id == AffectedPackage.vulnerability_id)
        .where(scope.condition(), _before(first), AffectedPackage.name.in_(sorted(names)))
        .distinct()
    ).all()
    return {software_id(eco, name, purl) for eco, name, purl in rows}


def _package_names(record: StoredRecord) -> set[str]:
    names: set[str] = set()
    for affected in record.document.get("affected") or []:
        package = affected.get("package") if isinstance(affected, dict) else None
        if isinstance(package, dict) and isinstance(package.get("name"), str):
            names.add(package["name"])
    return names


def candidate_rows(session: Session, scope: CollectionScope, ids: frozenset[str]) -> set[int]:
    """The records whose objects may carry one of `ids` (ids are UUIDv5s: not invertible)."""
    if scope.marking["id"] in ids:
        first = session.scalar(
            select(Vulnerability.id)
            .where(scope.condition())
            .order_by(Vulnerability.updated_at, Vulnerability.id)
            .limit(1)
        )
        found_first = {first} if first is not None else set()
        rest = ids - {scope.marking["id"]}
        return found_first | (candidate_rows(session, scope, rest) if rest else set())
    rows = session.execute(
        select(Vulnerability.id, Vulnerability.osv_id, Vulnerability.group_id).where(
            scope.condition()
        )
    ).all()
    found: set[int] = set()
    osv_ids: dict[int, str] = {}
    for row_id, osv_id, _group in rows:
        osv_ids[row_id] = osv_id
        if stix_id("vulnerability", osv_id) in ids:
            found.add(row_id)
    if all(i.startswith("vulnerability--") for i in ids):
        return found
    packages = session.execute(
        select(
            AffectedPackage.vulnerability_id,
            AffectedPackage.ecosystem,
            AffectedPackage.name,
            AffectedPackage.purl,
        )
        .join(Vulnerability, Vulnerability.id == AffectedPackage.vulnerability_id)
        .where(scope.condition())
    ).all()
    for row_id, ecosystem, name, purl in packages:
        osv_id = osv_ids[row_id]
        software = software_id(ecosystem, name, purl)
        fix = stix_id("course-of-action", osv_id, "fix", ecosystem, name)
        derived = {
            software,
            stix_id("relationship", osv_id, "related-to", software),
            fix,
            stix_id("relationship", osv_id, "mitigates", fix),
        }
        if derived & ids:
            found.add(row_id)
    kev = session.execute(
        select(Vulnerability.id, KevEntry.cve_id)
        .join(AliasLink, AliasLink.group_id == Vulnerability.group_id)
        .join(KevEntry, KevEntry.cve_id == AliasLink.alias)
        .where(scope.condition())
    ).all()
    for row_id, cve_id in kev:
        action = stix_id("course-of-action", osv_ids[row_id], "kev", cve_id)
        if {action, stix_id("relationship", osv_ids[row_id], "mitigates", action)} & ids:
            found.add(row_id)
    return found


def collection_page(
    session: Session,
    principal: Principal,
    collection: TaxiiCollection,
    object_filter: ObjectFilter,
    *,
    limit: int,
    after: Position | None = None,
    now: datetime | None = None,
) -> Page:
    """Up to `limit` objects of `collection` that `principal` may read, after `after`."""
    scope = CollectionScope(principal, collection, object_filter.added_after, now or utcnow())
    query = select(Vulnerability).where(scope.condition())
    if object_filter.ids:
        candidates = candidate_rows(session, scope, object_filter.ids)
        if not candidates:
            return Page()
        query = query.where(Vulnerability.id.in_(sorted(candidates)))
    query = query.order_by(Vulnerability.updated_at, Vulnerability.id)
    page = Page()
    position = after
    batch = max(limit, 50) + 1
    while True:
        window = query if position is None else query.where(_after(position, inclusive=True))
        rows = session.scalars(window.limit(batch)).all()
        if not rows:
            return page
        if _fill(session, scope, object_filter, rows, position, limit, page):
            return page
        if len(rows) < batch:
            return page
        last = rows[-1]
        position = Position(last.updated_at, last.id, 1 << 30)


def _delivered(position: Position | None, record: StoredRecord, index: int) -> bool:
    """Whether the object at `index` of `record` lies at or before `position`."""
    if position is None:
        return False
    at = (record.date_added, record.row_id) == (position.date_added, position.row_id)
    return at and index <= position.index


def _fill(
    session: Session,
    scope: CollectionScope,
    object_filter: ObjectFilter,
    rows: Sequence[Vulnerability],
    position: Position | None,
    limit: int,
    page: Page,
) -> bool:
    """Add the batch's objects to `page`; True once the page is full and `more` is known."""
    records = stored_records(session, rows)
    names: set[str] = set()
    for record in records:
        names |= _package_names(record)
    seen = _software_served_before(session, scope, rows[0], names)
    if _any_before(session, scope, rows[0]):
        seen.add(scope.marking["id"])
    for record in records:
        objects = OBJECT_CACHE.objects(record)
        # The collection's marking definition goes with its first record, after the
        # record's own objects so that their positions (the cursor) never shift.
        for index, obj in enumerate([*objects, scope.marking] if objects else []):
            if obj["type"] in ("software", "marking-definition"):
                if obj["id"] in seen:
                    continue
                seen.add(obj["id"])
            if _delivered(position, record, index):
                continue
            if not object_filter.keeps(obj, record.date_added):
                continue
            if len(page.objects) == limit:
                page.more = True
                page.next = page.last.token() if page.last is not None else None
                return True
            page.objects.append(Served(obj, record.date_added))
            page.last = Position(record.date_added, record.row_id, index)
    return False


def find_object(
    session: Session,
    principal: Principal,
    collection: TaxiiCollection,
    object_id: str,
    *,
    now: datetime | None = None,
) -> list[Served]:
    """Every version of one object in the collection (one at most); empty when unseen."""
    page = collection_page(
        session,
        principal,
        collection,
        ObjectFilter(ids=frozenset({object_id}), version_keywords=frozenset({"all"})),
        limit=2,
        now=now,
    )
    return page.objects[:1]
