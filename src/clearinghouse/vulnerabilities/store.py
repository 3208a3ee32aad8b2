"""Queries over the vulnerability store: a group by any alias, and filtered search.

Every query filters with the authorisation policy's `visible_filter`, so a record the
principal may not read is never returned, counted or matched by a search.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from clearinghouse.errors import NotFound
from clearinghouse.identity import Principal, visible_filter
from clearinghouse.storage.base import utcnow
from clearinghouse.vulnerabilities.models import (
    AffectedPackage,
    AliasLink,
    KevEntry,
    Vulnerability,
    VulnerabilityRevision,
)
from clearinghouse.vulnerabilities.package_names import package_name_key

MAX_PER_PAGE = 200
_ID_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9._-]*-[A-Za-z0-9._:-]+$")


@dataclass(frozen=True)
class KevStatus:
    cve_id: str
    vendor_project: str
    product: str
    vulnerability_name: str
    date_added: date
    due_date: date
    required_action: str
    known_ransomware_campaign_use: str
    short_description: str


@dataclass(frozen=True)
class RecordView:
    osv_id: str
    document: dict[str, Any]
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    summary: str
    severity: str | None
    tlp: str
    source: str
    source_file: str
    ingested_at: datetime
    updated_at: datetime
    revisions: int


@dataclass(frozen=True)
class VulnGroupView:
    requested: str
    group_id: int
    aliases: list[str]
    records: list[RecordView]
    kev: KevStatus | None

    @property
    def primary(self) -> RecordView | None:
        return self.records[0] if self.records else None

    @property
    def known_exploited(self) -> bool:
        return self.kev is not None


@dataclass(frozen=True)
class VulnSummary:
    osv_id: str
    summary: str
    severity: str | None
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    ecosystems: list[str]
    packages: list[str]
    aliases: list[str]
    known_exploited: bool


@dataclass(frozen=True)
class SearchPage:
    items: list[VulnSummary]
    total: int
    page: int
    per_page: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def _visible(principal: Principal, now: datetime | None) -> ColumnElement[bool]:
    return visible_filter(
        principal,
        tlp_column=Vulnerability.tlp,
        owner_column=Vulnerability.owner_org_id,
        embargo_column=Vulnerability.embargo_ends_at,
        sharing_group_column=Vulnerability.sharing_group_id,
        now=now or utcnow(),
    )


def identifier_candidates(identifier: str) -> list[str]:
    """The spellings to try: as given, then with the database prefix in upper case."""
    identifier = identifier.strip()
    prefix, sep, rest = identifier.partition("-")
    candidates = [identifier]
    if sep and prefix.upper() != prefix:
        candidates.append(f"{prefix.upper()}-{rest.upper() if prefix.upper() == 'CVE' else rest}")
    return candidates


def _kev_status(entry: KevEntry) -> KevStatus:
    return KevStatus(
        cve_id=entry.cve_id,
        vendor_project=entry.vendor_project,
        product=entry.product,
        vulnerability_name=entry.vulnerability_name,
        date_added=entry.date_added,
        due_date=entry.due_date,
        required_action=entry.required_action,
        known_ransomware_campaign_use=entry.known_ransomware_campaign_use,
        short_description=entry.short_description,
    )


def find_group(
    session: Session, identifier: str, principal: Principal, *, now: datetime | None = None
) -> VulnGroupView:
    """The alias group of any identifier (its id or any alias), as this principal may see it."""
    group_id = None
    for candidate in identifier_candidates(identifier):
        group_id = session.scalar(select(AliasLink.group_id).where(AliasLink.alias == candidate))
        if group_id is not None:
            identifier = candidate
            break
    if group_id is None:
        raise NotFound(f"no vulnerability is known as {identifier!r}")

    rows = session.scalars(
        select(Vulnerability).where(Vulnerability.group_id == group_id, _visible(principal, now))
    ).all()
    revisions: dict[int, int] = {
        vulnerability_id: count
        for vulnerability_id, count in session.execute(
            select(VulnerabilityRevision.vulnerability_id, func.count())
            .where(VulnerabilityRevision.vulnerability_id.in_([r.id for r in rows]))
            .group_by(VulnerabilityRevision.vulnerability_id)
        )
    }
    # The record asked for comes first, then the others by id, so the page is stable.
    rows = sorted(rows, key=lambda r: (r.osv_id != identifier, r.osv_id))
    records = [_record_view(row, revisions.get(row.id, 0)) for row in rows]

    kev_entries = session.scalars(
        select(KevEntry)
        .join(AliasLink, AliasLink.alias == KevEntry.cve_id)
        .where(AliasLink.group_id == group_id)
        .order_by(KevEntry.date_added)
    ).all()
    if not records and not kev_entries:
        raise NotFound(f"no vulnerability is known as {identifier!r}")
    # Aliases come from what the principal can read, never from the link table alone,
    # so an embargoed record's id does not leak through its group.
    aliases: set[str] = {k.cve_id for k in kev_entries}
    for record in records:
        aliases.add(record.osv_id)
        aliases.update(record.document.get("aliases") or ())
    return VulnGroupView(
        requested=identifier,
        group_id=group_id,
        aliases=sorted(aliases),
        records=records,
        kev=_kev_status(kev_entries[0]) if kev_entries else None,
    )


def _record_view(row: Vulnerability, revisions: int) -> RecordView:
    return RecordView(
        osv_id=row.osv_id,
        document=orjson.loads(row.document),
        modified=row.modified,
        published=row.published,
        withdrawn=row.withdrawn,
        summary=row.summary,
        severity=row.severity,
        tlp=row.tlp,
        source=row.source,
        source_file=row.source_file,
        ingested_at=row.ingested_at,
        updated_at=row.updated_at,
        revisions=revisions,
    )


def _kev_groups() -> Select[Any]:
    return select(AliasLink.group_id).join(KevEntry, KevEntry.cve_id == AliasLink.alias)


def _package_condition(ecosystem: str | None, package: str | None) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [AffectedPackage.vulnerability_id == Vulnerability.id]
    if ecosystem:
        conditions.append(AffectedPackage.ecosystem == ecosystem)
    if package:
        if ecosystem:
            conditions.append(AffectedPackage.name_key == package_name_key(ecosystem, package))
        else:
            keys = {package, package.lower(), package_name_key("PyPI", package)}
            conditions.append(AffectedPackage.name_key.in_(sorted(keys)))
    return exists().where(and_(*conditions))


def search_vulnerabilities(
    session: Session,
    principal: Principal,
    *,
    ecosystem: str | None = None,
    package: str | None = None,
    q: str | None = None,
    kev: bool | None = None,
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> SearchPage:
    """Records the principal may read, filtered, newest `modified` first, one page."""
    page = max(1, page)
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    conditions: list[ColumnElement[bool]] = [_visible(principal, now)]
    if ecosystem or package:
        conditions.append(_package_condition(ecosystem or None, package or None))
    if q and q.strip():
        text = q.strip()
        matches: list[ColumnElement[bool]] = [
            Vulnerability.summary.ilike(f"%{_escape_like(text)}%", escape="\\")
        ]
        if _ID_LIKE.match(text):
            matches.append(
                Vulnerability.group_id.in_(
                    select(AliasLink.group_id).where(
                        AliasLink.alias.in_(identifier_candidates(text))
                    )
                )
            )
        conditions.append(or_(*matches))
    if kev is True:
        conditions.append(Vulnerability.group_id.in_(_kev_groups()))
    elif kev is False:
        conditions.append(Vulnerability.group_id.not_in(_kev_groups()))

    total = session.scalar(select(func.count()).select_from(Vulnerability).where(*conditions)) or 0
    rows = session.execute(
        select(
            Vulnerability.id,
            Vulnerability.osv_id,
            Vulnerability.group_id,
            Vulnerability.summary,
            Vulnerability.severity,
            Vulnerability.modified,
            Vulnerability.published,
            Vulnerability.withdrawn,
            Vulnerability.document,
        )
        .where(*conditions)
        .order_by(Vulnerability.modified.desc(), Vulnerability.osv_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    ids = [row.id for row in rows]
    packages: dict[int, list[tuple[str, str]]] = {}
    for vulnerability_id, eco, name in session.execute(
        select(AffectedPackage.vulnerability_id, AffectedPackage.ecosystem, AffectedPackage.name)
        .where(AffectedPackage.vulnerability_id.in_(ids))
        .order_by(AffectedPackage.id)
    ):
        packages.setdefault(vulnerability_id, []).append((eco, name))
    exploited = set(
        session.scalars(_kev_groups().where(AliasLink.group_id.in_({r.group_id for r in rows})))
    )
    items = [
        VulnSummary(
            osv_id=row.osv_id,
            summary=row.summary,
            severity=row.severity,
            modified=row.modified,
            published=row.published,
            withdrawn=row.withdrawn,
            ecosystems=sorted({eco for eco, _ in packages.get(row.id, [])}),
            packages=[name for _, name in packages.get(row.id, [])],
            aliases=list(orjson.loads(row.document).get("aliases") or []),
            known_exploited=row.group_id in exploited,
        )
        for row in rows
    ]
    return SearchPage(items=items, total=total, page=page, per_page=per_page)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
