"""What a stored finding says (severity, fix, KEV due date, aliases), from the records behind it.

An upload takes these from `matching.scan`'s `Finding`; re-matching, which starts from
changed records rather than from an SBOM, computes the same facts here from the records a
finding rests on, by the same rules: the highest severity and score of the records, the
group's CVE as the id to show, the earliest KEV due date of its aliases, and the lowest
fixed version above the component's that none of the records affects.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.matching.errors import InvalidVersion, UnsupportedEcosystem
from clearinghouse.matching.findings import Finding, Severity
from clearinghouse.matching.ranges import AffectedVersions, fixed_versions
from clearinghouse.matching.versions import Version, parse_version
from clearinghouse.vulnerabilities.models import AliasLink, KevEntry, Vulnerability
from clearinghouse.vulnerabilities.package_names import package_name_key
from clearinghouse.vulnerabilities.severity import cvss_severity

# Rows per IN (...) list: well under SQLite's and PostgreSQL's bound-parameter limits.
CHUNK = 400

PackageKey = tuple[str, str]  # (OSV ecosystem, name as the ecosystem compares it)


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def base_ecosystem(ecosystem: str) -> str:
    return ecosystem.split(":", 1)[0]


def ecosystem_applies(record_ecosystem: str, component_ecosystem: str) -> bool:
    """OSV.dev's rule: a component in "Debian" is matched by "Debian:12"; "Debian:12" by itself."""
    if record_ecosystem == component_ecosystem:
        return True
    return ":" not in component_ecosystem and base_ecosystem(record_ecosystem) == (
        component_ecosystem
    )


def severity_of(word: str | None) -> Severity:
    try:
        return Severity.parse(word)
    except ValueError:
        return Severity.UNKNOWN  # "NONE" (a CVSS score of 0) and words we do not rank


@dataclass(frozen=True, slots=True)
class FindingDetails:
    """The snapshot a stored finding keeps, refreshed whenever the matcher touches it."""

    primary_id: str
    aliases: tuple[str, ...]
    summary: str
    severity: Severity
    score: float | None
    kev_due_date: date | None
    fixed_version: str | None
    references: tuple[str, ...]

    @classmethod
    def of_scan(cls, finding: Finding) -> FindingDetails:
        return cls(
            primary_id=finding.primary_id,
            aliases=finding.aliases,
            summary=finding.summary,
            severity=finding.severity,
            score=finding.score,
            kev_due_date=finding.kev_due_date,
            fixed_version=finding.fixed_version,
            references=finding.references[:MAX_REFERENCES],
        )

    def columns(self) -> dict[str, Any]:
        """The `inventory_findings` columns these details fill."""
        return {
            "primary_id": self.primary_id[:255],
            "aliases": orjson.dumps(list(self.aliases)).decode(),
            "summary": self.summary,
            "severity": self.severity.name,
            "score": self.score,
            "kev_due_date": self.kev_due_date,
            "fixed_version": self.fixed_version[:200] if self.fixed_version else None,
            "advisory_links": orjson.dumps(list(self.references[:MAX_REFERENCES])).decode(),
        }


# A record may list hundreds of links; a finding keeps the first few (advisories first).
MAX_REFERENCES = 20


@dataclass(slots=True)
class RecordFacts:
    """One stored record, compiled for matching: its entries per package it names."""

    osv_id: str
    group_id: int
    summary: str
    severity: Severity
    withdrawn: bool
    tlp: str
    owner_org_id: int | None
    embargo_ends_at: Any
    document: dict[str, Any]
    sharing_group_id: int | None = None
    entries: dict[PackageKey, list[tuple[AffectedVersions, Mapping[str, Any]]]] = field(
        default_factory=dict
    )

    @classmethod
    def of_row(cls, row: Any) -> RecordFacts:
        facts = cls(
            osv_id=row.osv_id,
            group_id=row.group_id,
            summary=row.summary or "",
            severity=severity_of(row.severity),
            withdrawn=row.withdrawn is not None,
            tlp=row.tlp,
            owner_org_id=row.owner_org_id,
            embargo_ends_at=row.embargo_ends_at,
            document=orjson.loads(row.document),
            sharing_group_id=row.sharing_group_id,
        )
        if not facts.withdrawn:  # a withdrawn record matches nothing, as on OSV.dev
            facts._compile()
        return facts

    def _compile(self) -> None:
        for affected in self.document.get("affected") or ():
            package = affected.get("package") or {}
            ecosystem, name = package.get("ecosystem"), package.get("name")
            if not ecosystem or not name:
                continue
            try:
                compiled = AffectedVersions.from_osv(affected, ecosystem)
            except UnsupportedEcosystem:
                continue  # an ecosystem we cannot order: no component can be in it
            key = (ecosystem, package_name_key(ecosystem, name))
            self.entries.setdefault(key, []).append((compiled, affected))

    def entries_for(
        self, ecosystem: str, name_key: str
    ) -> Iterator[tuple[AffectedVersions, Mapping[str, Any]]]:
        """The entries that speak about a component of `ecosystem` named `name_key`."""
        for (record_ecosystem, record_name), entries in self.entries.items():
            if record_name == name_key and ecosystem_applies(record_ecosystem, ecosystem):
                yield from entries

    def affects(self, ecosystem: str, name_key: str, version: Version) -> bool:
        return any(entry.contains(version) for entry, _ in self.entries_for(ecosystem, name_key))

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
        refs.sort(key=lambda r: r.get("type") != "ADVISORY")  # advisories first
        return [str(r["url"]) for r in refs if r.get("url")]


_RECORD_COLUMNS = (
    Vulnerability.osv_id,
    Vulnerability.group_id,
    Vulnerability.summary,
    Vulnerability.severity,
    Vulnerability.withdrawn,
    Vulnerability.tlp,
    Vulnerability.owner_org_id,
    Vulnerability.embargo_ends_at,
    Vulnerability.sharing_group_id,
    Vulnerability.document,
)


def load_records(session: Session, osv_ids: Iterable[str]) -> dict[str, RecordFacts]:
    """The stored records of these ids (withdrawn ones too, compiled to match nothing)."""
    records: dict[str, RecordFacts] = {}
    for chunk in chunks(sorted(set(osv_ids))):
        for row in session.execute(select(*_RECORD_COLUMNS).where(Vulnerability.osv_id.in_(chunk))):
            records[row.osv_id] = RecordFacts.of_row(row)
    return records


@dataclass(slots=True)
class GroupFacts:
    """Each group's identifiers and the KEV due dates of its CVEs, read once per re-match."""

    aliases: dict[int, tuple[str, ...]]
    kev_due: dict[str, date]

    @classmethod
    def load(cls, session: Session, group_ids: Iterable[int]) -> GroupFacts:
        aliases: dict[int, list[str]] = defaultdict(list)
        for chunk in chunks(sorted(set(group_ids))):
            rows = session.execute(
                select(AliasLink.group_id, AliasLink.alias).where(AliasLink.group_id.in_(chunk))
            )
            for group_id, alias in rows:
                aliases[group_id].append(alias)
        cves = sorted({a for names in aliases.values() for a in names if a.startswith("CVE-")})
        kev_due: dict[str, date] = {}
        for chunk in chunks(cves):
            entries = session.execute(
                select(KevEntry.cve_id, KevEntry.due_date)
                .where(KevEntry.cve_id.in_(chunk))
                .where(KevEntry.in_catalog.is_(True))
            )
            kev_due.update({cve: due for cve, due in entries})
        return cls({g: tuple(sorted(names)) for g, names in aliases.items()}, kev_due)


def nearest_fix(
    records: Sequence[RecordFacts], ecosystem: str, name_key: str, current: Version
) -> str | None:
    """The lowest fixed version above `current` that none of `records` affects."""
    candidates: dict[Version, str] = {}
    for record in records:
        for _, raw in record.entries_for(ecosystem, name_key):
            for text in fixed_versions(raw):
                try:
                    fix = parse_version(ecosystem, text)
                except (InvalidVersion, UnsupportedEcosystem):
                    continue
                if fix > current:
                    candidates.setdefault(fix, text)
    for fix in sorted(candidates):
        if not any(record.affects(ecosystem, name_key, fix) for record in records):
            return candidates[fix]
    return None


def details_of(
    records: Sequence[RecordFacts],
    groups: GroupFacts,
    *,
    group_id: int,
    ecosystem: str,
    name_key: str,
    version: Version,
) -> FindingDetails:
    """A finding's details from the (non-empty) records of one group that affect the version."""
    record_ids = sorted(r.osv_id for r in records)
    aliases = groups.aliases.get(group_id) or tuple(record_ids)
    cves = [a for a in aliases if a.startswith("CVE-")]
    due_dates = [groups.kev_due[a] for a in aliases if a in groups.kev_due]
    scores = [s for s in (r.score for r in records) if s is not None]
    return FindingDetails(
        primary_id=cves[0] if cves else record_ids[0],
        aliases=tuple(aliases),
        summary=next((r.summary for r in sorted(records, key=lambda r: r.osv_id) if r.summary), ""),
        severity=max(r.severity for r in records),
        score=max(scores) if scores else None,
        kev_due_date=min(due_dates) if due_dates else None,
        fixed_version=nearest_fix(records, ecosystem, name_key, version),
        references=tuple(dict.fromkeys(url for r in records for url in r.references)),
    )
