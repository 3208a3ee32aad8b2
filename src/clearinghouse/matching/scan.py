"""Scan a list of components against the stored records: which vulnerabilities affect what.

The scan asks the database only for the records that name one of the components' packages
(the `affected_packages` (ecosystem, name_key) index), compiles each such `affected[]` entry
once, and evaluates every distinct (package, version) once. Records are read as the principal
may see them (TLP, embargo: `identity.policy.visible_filter`); withdrawn records are left out,
as OSV.dev does.

A finding is one alias group per component: GHSA-x, PYSEC-y and CVE-z describing the same flaw
are one finding that lists all three, not three findings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.formats.components import (
    Component,
    SbomDocument,
    SkippedComponent,
    VexStatement,
)
from clearinghouse.identity.policy import visible_filter
from clearinghouse.identity.principal import Principal, local_operator
from clearinghouse.matching.errors import InvalidVersion, UnsupportedEcosystem
from clearinghouse.matching.findings import ComponentAdvice, Finding, ScanReport, Severity
from clearinghouse.matching.ranges import AffectedVersions
from clearinghouse.matching.versions import Version, parse_version
from clearinghouse.storage.base import utcnow
from clearinghouse.vulnerabilities.models import (
    AffectedPackage,
    AliasLink,
    KevEntry,
    Vulnerability,
)
from clearinghouse.vulnerabilities.package_names import package_name_key
from clearinghouse.vulnerabilities.severity import cvss_severity

__all__ = [
    "PackageKey",
    "PackageQuery",
    "RecordHit",
    "package_key",
    "records_affecting",
    "scan_components",
    "scan_document",
    "unreadable_versions",
]

# (OSV ecosystem, name as the ecosystem compares it)
PackageKey = tuple[str, str]

# Rows per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter limits.
_CHUNK = 400


@dataclass(slots=True)
class _Record:
    """One stored record, as much of it as matching and findings need."""

    id: int
    osv_id: str
    group_id: int
    summary: str
    severity: Severity
    modified: datetime
    document: dict[str, Any]
    # This record's compiled entries per package it names.
    entries: dict[PackageKey, list[AffectedVersions]] = field(default_factory=dict)
    raw_entries: dict[PackageKey, list[Mapping[str, Any]]] = field(default_factory=dict)
    fixes: dict[PackageKey, list[tuple[Version, str]]] = field(default_factory=dict)

    @property
    def score(self) -> float | None:
        best: float | None = None
        for entry in self.document.get("severity") or ():
            scored = cvss_severity(str(entry.get("type", "")), str(entry.get("score", "")))
            if scored and (best is None or scored[0] > best):
                best = scored[0]
        return best

    @property
    def references(self) -> list[str]:
        refs = [r for r in self.document.get("references") or () if isinstance(r, dict)]
        # Advisories first: they are what a reader wants to follow.
        refs.sort(key=lambda r: r.get("type") != "ADVISORY")
        return [str(r["url"]) for r in refs if r.get("url")]


def package_key(ecosystem: str, name: str) -> PackageKey:
    return (ecosystem, package_name_key(ecosystem, name))


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _severity(word: str | None) -> Severity:
    try:
        return Severity.parse(word)
    except ValueError:
        return Severity.UNKNOWN  # "NONE" (a CVSS score of 0) and words we do not rank


def _base_ecosystem(ecosystem: str) -> str:
    return ecosystem.split(":", 1)[0]


def _ecosystems_stored(session: Session, asked: Iterable[str]) -> dict[str, list[str]]:
    """For each ecosystem asked about, the stored ecosystems that serve it.

    OSV's rule: "Debian" is served by "Debian", "Debian:11", "Debian:12"...; "Debian:12" only by
    itself. The variants are looked up by an index range ("Debian:" <= e < "Debian;").
    """
    served: dict[str, list[str]] = {}
    for ecosystem in asked:
        served[ecosystem] = [ecosystem]
        if ":" not in ecosystem:
            variants = session.scalars(
                select(AffectedPackage.ecosystem)
                .where(AffectedPackage.ecosystem >= ecosystem + ":")
                .where(AffectedPackage.ecosystem < ecosystem + ";")
                .distinct()
            )
            served[ecosystem].extend(variants)
    return served


def _record_ids(session: Session, keys: Iterable[PackageKey]) -> set[int]:
    """Ids of the records naming any of the packages, through the (ecosystem, name_key) index."""
    names: dict[str, set[str]] = defaultdict(set)
    for ecosystem, name_key in keys:
        names[ecosystem].add(name_key)
    ids: set[int] = set()
    for asked, stored in _ecosystems_stored(session, names).items():
        for ecosystem in stored:
            for chunk in _chunks(sorted(names[asked])):
                # One ecosystem and a plain IN per query: every planner uses the index for it
                # (SQLite does not for a row-value IN over both columns).
                ids.update(
                    session.scalars(
                        select(AffectedPackage.vulnerability_id)
                        .where(AffectedPackage.ecosystem == ecosystem)
                        .where(AffectedPackage.name_key.in_(chunk))
                    )
                )
    return ids


def _load_records(
    session: Session, keys: Iterable[PackageKey], principal: Principal, now: datetime
) -> dict[int, _Record]:
    """Every visible, current record that names one of the packages, with compiled entries."""
    visible = visible_filter(
        principal,
        tlp_column=Vulnerability.tlp,
        owner_column=Vulnerability.owner_org_id,
        embargo_column=Vulnerability.embargo_ends_at,
        sharing_group_column=Vulnerability.sharing_group_id,
        now=now,
    )
    records: dict[int, _Record] = {}
    for chunk in _chunks(sorted(_record_ids(session, keys))):
        statement = (
            select(
                Vulnerability.id,
                Vulnerability.osv_id,
                Vulnerability.group_id,
                Vulnerability.summary,
                Vulnerability.severity,
                Vulnerability.modified,
                Vulnerability.document,
            )
            .where(Vulnerability.id.in_(chunk))
            .where(Vulnerability.withdrawn.is_(None))
            .where(visible)
        )
        # Through the connection, not the ORM: plain rows, without the ORM's per-row
        # loading machinery (0.2 s of a 10,000-component scan).
        for row in session.connection().execute(statement):
            records[row.id] = _Record(
                id=row.id,
                osv_id=row.osv_id,
                group_id=row.group_id,
                summary=row.summary,
                severity=_severity(row.severity),
                modified=row.modified,
                document=orjson.loads(row.document),
            )
    # A "Debian" component also loads "Debian:11" and "Debian:12" records; `_entries_for`
    # applies OSV's ecosystem rule per component.
    for record in records.values():
        _compile(record)
    return records


def _compile(record: _Record) -> None:
    for affected in record.document.get("affected") or ():
        package = affected.get("package") or {}
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if not ecosystem or not name:
            continue
        key = package_key(ecosystem, name)
        try:
            compiled = AffectedVersions.from_osv(affected, ecosystem)
        except UnsupportedEcosystem:
            continue  # an ecosystem we cannot order: no component of ours can be in it
        record.entries.setdefault(key, []).append(compiled)
        record.raw_entries.setdefault(key, []).append(affected)


def _applies(record_ecosystem: str, ecosystem: str) -> bool:
    # OSV.dev's rule: a query for "Debian" matches "Debian:12"; "Debian:12" only itself.
    if record_ecosystem == ecosystem:
        return True
    return ":" not in ecosystem and _base_ecosystem(record_ecosystem) == ecosystem


def _entries_for(
    record: _Record, key: PackageKey
) -> Iterator[tuple[AffectedVersions, Mapping[str, Any]]]:
    ecosystem, name_key = key
    for (record_ecosystem, record_name), entries in record.entries.items():
        if record_name != name_key or not _applies(record_ecosystem, ecosystem):
            continue
        yield from zip(entries, record.raw_entries[(record_ecosystem, record_name)], strict=True)


def _affects(record: _Record, key: PackageKey, version: Version) -> bool:
    return any(entry.contains(version) for entry, _ in _entries_for(record, key))


def _records_by_package(
    records: Iterable[_Record], asked: Collection[PackageKey]
) -> dict[PackageKey, list[_Record]]:
    """The records that serve each package asked about.

    A "Debian:12" entry serves a question about "Debian:12" and one about "Debian".
    """
    per_package: dict[PackageKey, list[_Record]] = defaultdict(list)
    for record in records:
        served = set()
        for ecosystem, name_key in record.entries:
            served.update({(ecosystem, name_key), (_base_ecosystem(ecosystem), name_key)})
        # Look the few served keys up in `asked`, never the other way round: a set's
        # intersection with a dict view walks the whole view (10,000 packages) per record.
        for key in served:
            if key in asked:
                per_package[key].append(record)
    return per_package


def _lists(record: _Record, key: PackageKey, version_text: str) -> bool:
    # For a version the ecosystem cannot order, the schema's string match on `versions`.
    return any(version_text in entry.listed_text for entry, _ in _entries_for(record, key))


def _aliases(session: Session, group_ids: Iterable[int]) -> dict[int, list[str]]:
    aliases: dict[int, list[str]] = defaultdict(list)
    for chunk in _chunks(sorted(set(group_ids))):
        rows = session.execute(
            select(AliasLink.group_id, AliasLink.alias).where(AliasLink.group_id.in_(chunk))
        )
        for group_id, alias in rows:
            aliases[group_id].append(alias)
    return {group_id: sorted(names) for group_id, names in aliases.items()}


def _kev_due_dates(session: Session, aliases: Iterable[str]) -> dict[str, date]:
    cves = sorted({a for a in aliases if a.startswith("CVE-")})
    due: dict[str, date] = {}
    for chunk in _chunks(cves):
        rows = session.execute(
            select(KevEntry.cve_id, KevEntry.due_date)
            .where(KevEntry.cve_id.in_(chunk))
            .where(KevEntry.in_catalog.is_(True))
        )
        due.update({cve: due_date for cve, due_date in rows})
    return due


def _vex_for(
    statements: Sequence[VexStatement], component: Component, aliases: Sequence[str]
) -> VexStatement | None:
    """The SBOM author's statement on this group for this component, if there is one."""
    ids = {alias.upper() for alias in aliases}
    for statement in statements:
        if statement.vulnerability.upper() not in ids:
            continue
        if not statement.refs or any(_names(ref, component) for ref in statement.refs):
            return statement
    return None


def _names(ref: str, component: Component) -> bool:
    # A ref is a bom-ref, a purl, or a BOM-Link "urn:cdx:<serial>/<version>#<bom-ref>".
    if component.bom_ref and (ref == component.bom_ref or ref.endswith("#" + component.bom_ref)):
        return True
    return component.purl is not None and ref == component.purl


def _primary_id(aliases: Sequence[str], record_ids: Sequence[str]) -> str:
    cves = [a for a in aliases if a.startswith("CVE-")]
    return cves[0] if cves else sorted(record_ids)[0]


def _fixes(record: _Record, key: PackageKey, ecosystem: str) -> list[tuple[Version, str]]:
    """The record's readable `fixed` versions for the package, parsed once per record."""
    cached = record.fixes.get(key)
    if cached is None:
        cached = []
        for entry, _ in _entries_for(record, key):
            cached.extend(entry.fixed(ecosystem))
        record.fixes[key] = cached
    return cached


def _nearest_fix(
    records: Sequence[_Record],
    key: PackageKey,
    ecosystem: str,
    current: Version,
    *,
    floor: Version | None = None,
    also_clear_of: Sequence[_Record] = (),
) -> str | None:
    """The lowest fixed version above `current` (and at or above `floor`) that none of
    `records` affects, nor any of `also_clear_of` (checked last: only for the survivor)."""
    candidates: dict[Version, str] = {}
    for record in (*records, *also_clear_of):
        for fix, text in _fixes(record, key, ecosystem):
            if fix > current and (floor is None or fix >= floor):
                candidates.setdefault(fix, text)
    for fix in sorted(candidates):
        if any(_affects(record, key, fix) for record in records):
            continue
        if not any(_affects(record, key, fix) for record in also_clear_of):
            return candidates[fix]
    return None


def _group_findings(
    component: Component,
    key: PackageKey,
    version: Version,
    matched: Sequence[_Record],
    aliases: Mapping[int, list[str]],
    kev: Mapping[str, date],
    vex: Sequence[VexStatement],
) -> list[Finding]:
    by_group: dict[int, list[_Record]] = defaultdict(list)
    for record in matched:
        by_group[record.group_id].append(record)
    findings = []
    for group_id, group_records in by_group.items():
        record_ids = tuple(sorted(r.osv_id for r in group_records))
        group_aliases = tuple(aliases.get(group_id) or record_ids)
        due_dates = [kev[a] for a in group_aliases if a in kev]
        scores = [s for s in (r.score for r in group_records) if s is not None]
        references = list(dict.fromkeys(url for r in group_records for url in r.references))
        summary = next((r.summary for r in group_records if r.summary), "")
        findings.append(
            Finding(
                component=component,
                group_id=group_id,
                primary_id=_primary_id(group_aliases, record_ids),
                record_ids=record_ids,
                aliases=group_aliases,
                summary=summary,
                severity=max(r.severity for r in group_records),
                score=max(scores) if scores else None,
                known_exploited=bool(due_dates),
                kev_due_date=min(due_dates) if due_dates else None,
                fixed_version=_nearest_fix(group_records, key, component.ecosystem, version),
                references=tuple(references),
                vex=_vex_for(vex, component, group_aliases),
            )
        )
    return findings


def _advice(
    component: Component,
    key: PackageKey,
    version: Version,
    findings: Sequence[Finding],
    matched: Sequence[_Record],
    package_records: Sequence[_Record],
) -> ComponentAdvice:
    """One upgrade that fixes every active finding and walks into no other known record."""
    active = [f for f in findings if not f.suppressed]
    upgrade_to = None
    # A finding without a fix of its own leaves nothing that fixes them all.
    if active and all(f.fixed_version is not None for f in active):
        ecosystem = component.ecosystem
        # No version below the highest single fix can fix every finding.
        floor = max(parse_version(ecosystem, str(f.fixed_version)) for f in active)
        active_groups = {f.group_id for f in active}
        must_fix = [r for r in matched if r.group_id in active_groups]
        others = [r for r in package_records if r.group_id not in active_groups]
        upgrade_to = _nearest_fix(
            must_fix, key, ecosystem, version, floor=floor, also_clear_of=others
        )
    return ComponentAdvice(component=component, finding_count=len(active), upgrade_to=upgrade_to)


def _sort_key(finding: Finding) -> tuple[Any, ...]:
    c = finding.component
    return (-finding.severity, finding.primary_id, c.ecosystem, c.name, c.version)


def scan_components(
    session: Session,
    components: Sequence[Component],
    *,
    principal: Principal | None = None,
    now: datetime | None = None,
    vex: Sequence[VexStatement] = (),
) -> tuple[list[Finding], list[ComponentAdvice], int]:
    """(findings, advice, records considered) for the components, as `principal` sees them.

    A component whose version its ecosystem cannot read gets no finding; `scan_document`
    reports it among the skipped components.
    """
    principal = principal or local_operator()
    now = now or utcnow()
    keyed: dict[PackageKey, list[Component]] = defaultdict(list)
    for component in components:
        keyed[package_key(component.ecosystem, component.name)].append(component)
    records = _load_records(session, keyed, principal, now)

    per_package = _records_by_package(records.values(), keyed.keys())

    matches: list[tuple[Component, PackageKey, Version, list[_Record]]] = []
    group_ids: set[int] = set()
    for key, package_components in keyed.items():
        candidates = per_package.get(key, [])
        if not candidates:
            continue
        verdicts: dict[str, list[_Record]] = {}  # each distinct version evaluated once
        for component in package_components:
            try:
                version = parse_version(component.ecosystem, component.version)
            except (InvalidVersion, UnsupportedEcosystem):
                continue
            if component.version not in verdicts:
                verdicts[component.version] = [r for r in candidates if _affects(r, key, version)]
            matched = verdicts[component.version]
            if matched:
                matches.append((component, key, version, matched))
                group_ids.update(r.group_id for r in matched)

    aliases = _aliases(session, group_ids)
    kev = _kev_due_dates(session, (a for names in aliases.values() for a in names))
    findings: list[Finding] = []
    advice: list[ComponentAdvice] = []
    for component, key, version, matched in matches:
        component_findings = _group_findings(component, key, version, matched, aliases, kev, vex)
        findings.extend(component_findings)
        advice.append(
            _advice(component, key, version, component_findings, matched, per_package[key])
        )
    findings.sort(key=_sort_key)
    return findings, advice, len(records)


@dataclass(frozen=True, slots=True)
class PackageQuery:
    """One package of an OSV-style query; without a version, every record naming it."""

    ecosystem: str
    name: str
    version: str | None = None


@dataclass(frozen=True, slots=True)
class RecordHit:
    osv_id: str
    modified: datetime
    document: dict[str, Any]


def records_affecting(
    session: Session,
    queries: Sequence[PackageQuery],
    *,
    principal: Principal | None = None,
    now: datetime | None = None,
) -> list[list[RecordHit]]:
    """For each query, the visible records that affect it, as OSV.dev's query API answers.

    Unlike a scan this answers records, not alias groups: GHSA-x and PYSEC-y of one
    vulnerability are two answers, as OSV clients expect.
    """
    principal = principal or local_operator()
    now = now or utcnow()
    keys = [package_key(q.ecosystem, q.name) for q in queries]
    records = _load_records(session, set(keys), principal, now)
    per_package = _records_by_package(records.values(), set(keys))
    answers = []
    for query, key in zip(queries, keys, strict=True):
        candidates = per_package.get(key, [])
        if query.version is None:
            hits = candidates
        else:
            try:
                version = parse_version(query.ecosystem, query.version)
            except (InvalidVersion, UnsupportedEcosystem):
                hits = [r for r in candidates if _lists(r, key, query.version)]
            else:
                hits = [r for r in candidates if _affects(r, key, version)]
        answers.append(
            [RecordHit(r.osv_id, r.modified, r.document) for r in sorted(hits, key=_by_id)]
        )
    return answers


def _by_id(record: _Record) -> str:
    return record.osv_id


def unreadable_versions(components: Iterable[Component]) -> list[tuple[Component, str]]:
    """Components whose version their ecosystem cannot read (or whose ecosystem we lack)."""
    problems = []
    for component in components:
        try:
            parse_version(component.ecosystem, component.version)
        except (InvalidVersion, UnsupportedEcosystem) as exc:
            problems.append((component, str(exc)))
    return problems


def scan_document(
    session: Session,
    document: SbomDocument,
    *,
    principal: Principal | None = None,
    now: datetime | None = None,
) -> ScanReport:
    """Scan every component of an SBOM or lockfile; VEX statements in it mark findings."""
    now = now or utcnow()
    unreadable = unreadable_versions(document.components)
    bad = {id(component) for component, _ in unreadable}
    usable = [c for c in document.components if id(c) not in bad]
    findings, advice, considered = scan_components(
        session, usable, principal=principal, now=now, vex=document.vex
    )
    skipped = document.skipped + tuple(
        SkippedComponent(
            name=c.name,
            reason=f"version not understood: {reason}",
            version=c.version,
            purl=c.purl,
            bom_ref=c.bom_ref,
            location=c.location,
        )
        for c, reason in unreadable
    )
    return ScanReport(
        document=replace(document, components=tuple(usable), skipped=skipped),
        findings=tuple(findings),
        advice=tuple(advice),
        scanned_at=now,
        records_considered=considered,
    )
