"""Whether a version lies in an OSV record's affected ranges, evaluated as the OSV schema says.

The schema's "Evaluation" pseudocode, as OSV.dev and osv-scanner apply it: a version is
affected when it is listed in `versions` or lies in any ECOSYSTEM or SEMVER range (GIT ranges
need the commit graph and take no part in version matching). Within a range the events are
sorted by version (`introduced: "0"` first); walking them, an `introduced` at or below the
version opens it, a `fixed` at or below closes it, a `last_affected` below closes it; `limit`
events, where present, cap the whole range (the version must be below one of them).

An event version its ecosystem cannot parse sorts above every version, as in OSV.dev: an
unreadable `introduced` opens nothing, an unreadable `fixed` closes nothing. That errs towards
reporting, which is the safe side for a scanner; the version being asked about, on the other
hand, must parse (`InvalidVersion`), since a finding on a version we cannot read means nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from clearinghouse.matching.errors import InvalidVersion
from clearinghouse.matching.versions import Version, ecosystem_ordering, parse_version
from clearinghouse.vulnerabilities.package_names import package_name_key

__all__ = [
    "AffectedVersions",
    "affected_by",
    "fixed_versions",
    "nearest_fix",
    "record_affects",
]

_VERSION_RANGE_TYPES = ("ECOSYSTEM", "SEMVER")
_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")

# Event positions: (rank, version). Rank 0 is introduced "0" (below everything), 1 a parsed
# version, 2 one we could not parse (above everything).
_ZERO = 0
_PARSED = 1
_UNPARSED = 2


class _Event(NamedTuple):
    # A named tuple, not a frozen dataclass: a scan builds tens of thousands, and a frozen
    # dataclass's __init__ (object.__setattr__ per field) was a fifth of compile time.
    kind: str
    text: str
    rank: int
    version: Version | None

    def sort_key(self) -> tuple[int, Any]:
        return (self.rank, self.version.key if self.version is not None else None)


@dataclass(frozen=True, slots=True)
class _Range:
    events: tuple[_Event, ...]  # introduced, fixed, last_affected, sorted; limits apart
    limits: tuple[_Event, ...]
    parse_as: str | None  # a SEMVER range of a package whose ecosystem orders otherwise

    def contains(self, version: Version) -> bool:
        if self.limits and not any(_below(version, limit) for limit in self.limits):
            return False
        affected = False
        for event in self.events:
            if event.kind == "introduced":
                if event.rank == _ZERO or _at_or_above(version, event):
                    affected = True
            elif event.kind == "fixed":
                if _at_or_above(version, event):
                    affected = False
            elif _above(version, event):  # last_affected
                affected = False
        return affected


def _at_or_above(version: Version, event: _Event) -> bool:
    if event.rank == _PARSED:
        return version >= event.version  # type: ignore[operator]
    return event.rank == _ZERO


def _above(version: Version, event: _Event) -> bool:
    if event.rank == _PARSED:
        return version > event.version  # type: ignore[operator]
    return event.rank == _ZERO


def _below(version: Version, limit: _Event) -> bool:
    if limit.rank == _PARSED:
        return version < limit.version  # type: ignore[operator]
    # "*" (or anything unreadable) is infinity; a limit of "0" leaves nothing below it.
    return limit.rank == _UNPARSED


def _event(ecosystem: str, kind: str, text: str) -> _Event:
    if kind == "introduced" and text == "0":
        return _Event(kind, text, _ZERO, None)
    if kind == "limit" and "*" in text:
        return _Event(kind, text, _UNPARSED, None)
    try:
        return _Event(kind, text, _PARSED, parse_version(ecosystem, text))
    except InvalidVersion:
        return _Event(kind, text, _UNPARSED, None)


def _compile_range(ecosystem: str, osv_range: Mapping[str, Any]) -> _Range:
    # A SEMVER range is ordered by SemVer 2.0 whatever the package's ecosystem, except Go,
    # whose versions are SemVer with Go's own leniencies (the same ordering here).
    parse_as = None
    if osv_range["type"] == "SEMVER" and ecosystem_ordering(ecosystem) not in ("SemVer", "Go"):
        parse_as = "SEMVER"
    ordering = parse_as or ecosystem
    events: list[_Event] = []
    limits: list[_Event] = []
    for raw in osv_range.get("events", ()):
        for kind in _EVENT_KINDS:
            if kind in raw:
                event = _event(ordering, kind, str(raw[kind]))
                (limits if kind == "limit" else events).append(event)
    # Stable sort: events at the same version keep the record's order.
    events.sort(key=_Event.sort_key)
    return _Range(tuple(events), tuple(limits), parse_as)


@dataclass(frozen=True, slots=True)
class AffectedVersions:
    """One `affected[]` entry, compiled for repeated matching against versions."""

    ecosystem: str
    ranges: tuple[_Range, ...]
    listed_text: frozenset[str]
    # The listed versions parsed, filled on first need: most questions are settled by the
    # exact text or the ranges, and parsing long `versions` lists dominated compile time.
    _parsed: dict[str, frozenset[Version]] = field(default_factory=dict, compare=False)

    @classmethod
    def from_osv(
        cls, affected: Mapping[str, Any], ecosystem: str | None = None
    ) -> AffectedVersions:
        """Compile an OSV `affected[]` entry; `ecosystem` defaults to its package's."""
        ecosystem = ecosystem or affected["package"]["ecosystem"]
        ranges = tuple(
            _compile_range(ecosystem, osv_range)
            for osv_range in affected.get("ranges", ())
            if osv_range.get("type") in _VERSION_RANGE_TYPES
        )
        listed_text = frozenset(map(str, affected.get("versions", ())))
        return cls(ecosystem, ranges, listed_text)

    def fixed(self, ecosystem: str) -> list[tuple[Version, str]]:
        """The readable `fixed` versions of the ranges, in `ecosystem`'s order, once each.

        The versions the ranges were compiled with are reused where they are in that order
        (a SEMVER range of a package ordered otherwise was parsed as SemVer: read again).
        """
        ordering = ecosystem_ordering(ecosystem)
        found: dict[str, Version] = {}
        for osv_range in self.ranges:
            for event in osv_range.events:
                if event.kind != "fixed" or event.text in found:
                    continue
                if event.version is not None and event.version.ordering == ordering:
                    found[event.text] = event.version
                    continue
                try:
                    found[event.text] = parse_version(ecosystem, event.text)
                except InvalidVersion:
                    continue
        return [(version, text) for text, version in found.items()]

    @property
    def listed(self) -> frozenset[Version]:
        """The `versions` list as versions (texts the ecosystem cannot read left out)."""
        parsed = self._parsed.get("")
        if parsed is None:
            versions: set[Version] = set()
            for text in self.listed_text:
                try:
                    versions.add(parse_version(self.ecosystem, text))
                except InvalidVersion:
                    continue  # still matched by its exact text
            parsed = self._parsed[""] = frozenset(versions)
        return parsed

    def contains(self, version: str | Version, *, use_versions_list: bool = True) -> bool:
        """Whether `version` is affected: in a range, or (optionally) in the `versions` list."""
        if isinstance(version, str):
            text = version
            parsed = parse_version(self.ecosystem, version)
        else:
            text, parsed = version.text, version
        if use_versions_list and text in self.listed_text:
            return True
        for osv_range in self.ranges:
            in_range_order = parsed
            if osv_range.parse_as is not None:
                try:
                    in_range_order = parse_version(osv_range.parse_as, text)
                except InvalidVersion:
                    continue  # not a SemVer version: outside every SemVer range
            if osv_range.contains(in_range_order):
                return True
        # The schema compares listed versions as strings; we also accept the same version
        # written differently ("1.0" and "1.0.0" in PyPI, "v1.2.3" and "1.2.3" in Go).
        return use_versions_list and bool(self.listed_text) and parsed in self.listed


def affected_by(
    affected: Mapping[str, Any],
    version: str,
    *,
    ecosystem: str | None = None,
    use_versions_list: bool = True,
) -> bool:
    """Whether `version` of the package of one OSV `affected[]` entry is affected by it."""
    compiled = AffectedVersions.from_osv(affected, ecosystem)
    return compiled.contains(version, use_versions_list=use_versions_list)


def _same_ecosystem(record_ecosystem: str, ecosystem: str) -> bool:
    # As OSV.dev's query API: "Debian" matches "Debian:12"; "Debian:12" only itself.
    if record_ecosystem == ecosystem:
        return True
    return ":" not in ecosystem and record_ecosystem.split(":", 1)[0] == ecosystem


def record_affects(record: Mapping[str, Any], ecosystem: str, name: str, version: str) -> bool:
    """Whether an OSV record says `name` at `version` in `ecosystem` is affected.

    Withdrawn records are not special here: whether to report them is the scanner's choice.
    """
    key = package_name_key(ecosystem, name)
    for affected in record.get("affected", ()):
        package = affected.get("package") or {}
        record_ecosystem = package.get("ecosystem", "")
        if not _same_ecosystem(record_ecosystem, ecosystem):
            continue
        if package_name_key(record_ecosystem, package.get("name", "")) != key:
            continue
        if affected_by(affected, version, ecosystem=record_ecosystem):
            return True
    return False


def fixed_versions(affected: Mapping[str, Any]) -> list[str]:
    """The `fixed` versions of an entry's ECOSYSTEM and SEMVER ranges, lowest first."""
    ecosystem = affected["package"]["ecosystem"]
    texts: list[str] = []
    for osv_range in affected.get("ranges", ()):
        if osv_range.get("type") not in _VERSION_RANGE_TYPES:
            continue
        for event in osv_range.get("events", ()):
            if "fixed" in event and str(event["fixed"]) not in texts:
                texts.append(str(event["fixed"]))
    return sorted(texts, key=lambda text: _event(ecosystem, "fixed", text).sort_key())


def nearest_fix(record_affected_entries: Iterable[Mapping[str, Any]], version: str) -> str | None:
    """The lowest fixed version above `version` that none of the entries affects, if any.

    Pass every `affected[]` entry (of one or many records) that names the package, so that
    the answer fixes all of them at once.
    """
    entries: Sequence[Mapping[str, Any]] = list(record_affected_entries)
    if not entries:
        return None
    ecosystem = entries[0]["package"]["ecosystem"]
    current = parse_version(ecosystem, version)
    compiled = [AffectedVersions.from_osv(entry, ecosystem) for entry in entries]
    candidates: dict[Version, str] = {}
    for entry in entries:
        for text in fixed_versions(entry):
            try:
                fix = parse_version(ecosystem, text)
            except InvalidVersion:
                continue
            if fix > current:
                candidates.setdefault(fix, text)
    for fix in sorted(candidates):
        if not any(entry.contains(fix) for entry in compiled):
            return candidates[fix]
    return None
