"""RustSec advisories: the native Markdown + TOML format, and the OSV form rustsec exports.

The conversion follows `rustsec/src/osv/` of the rustsec crate: patched and unaffected
Cargo requirements become unaffected intervals, and the gaps between them become SEMVER
ranges (`ranges_for_advisory`, `unaffected_range.rs`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tomllib
from dataclasses import dataclass
from functools import total_ordering
from typing import Any, Literal

from clearinghouse.formats.errors import InvalidRecord
from clearinghouse.formats.osv import validate_osv

ECOSYSTEM = "crates.io"
_FENCE_START = "```toml"
_FENCE_END = "\n```"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_COLLECTIONS = ("crates", "rust")


@dataclass(frozen=True)
class RustsecAdvisory:
    """One RustSec advisory, fields named as in its `[advisory]`, `[versions]`, `[affected]`."""

    id: str
    package: str
    date: dt.date
    title: str
    description: str
    url: str | None = None
    informational: str | None = None
    categories: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    cvss: str | None = None
    withdrawn: dt.date | None = None
    references: tuple[str, ...] = ()
    license: str = "CC0-1.0"
    source: str | None = None
    """The registry (Cargo source id) when it is not crates.io."""
    collection: Literal["crates", "rust"] = "crates"
    """`rust` for advisories against the toolchain (std, rustdoc, cargo ...), not a crate."""
    expect_deleted: bool = False
    patched: tuple[str, ...] = ()
    unaffected: tuple[str, ...] = ()
    affected_functions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    affected_os: tuple[str, ...] = ()
    affected_arch: tuple[str, ...] = ()


def parse_rustsec(data: bytes, *, source: str = "") -> RustsecAdvisory:
    """Parse one advisory file; `source` (its path) also tells the collection, as in rustsec."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(f"not valid UTF-8 (byte {exc.start})", source=source) from exc
    front_matter, title, description = _split_parts(text, source)
    try:
        doc = tomllib.loads(front_matter)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidRecord(f"TOML front matter: {exc}", source=source) from exc
    fields = _Fields(doc, source)
    advisory = fields.table("advisory", required=True)
    versions = fields.table("versions", required=True)
    affected = fields.table("affected", required=False)
    collection = advisory.optional_str("collection") or _collection_from_path(source)
    if collection not in _COLLECTIONS:
        raise InvalidRecord(
            f"unknown collection {collection!r}", source=source, path="$.advisory.collection"
        )
    parsed = RustsecAdvisory(
        id=advisory.required_str("id"),
        package=advisory.required_str("package"),
        date=advisory.date("date", required=True) or dt.date.min,
        title=title,
        description=description,
        url=advisory.optional_str("url"),
        informational=advisory.optional_str("informational"),
        categories=advisory.str_list("categories"),
        keywords=advisory.str_list("keywords"),
        aliases=advisory.str_list("aliases"),
        related=advisory.str_list("related"),
        cvss=_cvss(advisory),
        withdrawn=advisory.date("withdrawn", required=False),
        references=advisory.str_list("references"),
        license=advisory.optional_str("license") or "CC0-1.0",
        source=advisory.optional_str("source"),
        collection="rust" if collection == "rust" else "crates",
        expect_deleted=advisory.optional_bool("expect-deleted"),
        patched=versions.str_list("patched", required=True),
        unaffected=versions.str_list("unaffected"),
        affected_functions=affected.functions("functions"),
        affected_os=affected.str_list("os"),
        affected_arch=affected.str_list("arch"),
    )
    # rustsec refuses requirements it cannot turn into ranges when it loads the file; so do we.
    for field, requirements in (("unaffected", parsed.unaffected), ("patched", parsed.patched)):
        for i, requirement in enumerate(requirements):
            try:
                _unaffected_range(requirement)
            except InvalidRecord as exc:
                raise InvalidRecord(
                    exc.reason, source=source, path=f"$.versions.{field}[{i}]"
                ) from exc
    try:
        affected_ranges = osv_ranges(parsed.patched, parsed.unaffected)
    except InvalidRecord as exc:
        raise InvalidRecord(exc.reason, source=source, path="$.versions") from exc
    if not affected_ranges:  # rustsec's exporter asserts this: an advisory must affect something
        raise InvalidRecord(
            "patched and unaffected cover every version", source=source, path="$.versions"
        )
    return parsed


def rustsec_to_osv(advisory: RustsecAdvisory) -> dict[str, Any]:
    """The OSV record rustsec's `OsvAdvisory::from_rustsec` writes for this advisory.

    Two differences, both forced by working from one file rather than the git repository:
    `modified` is the latest of `date` and `withdrawn` (rustsec takes the file's last commit
    time), and toolchain advisories (`collection = "rust"`, which rustsec does not export)
    carry no crates.io purl or package link and say `collection: rust` in database_specific.
    """
    toolchain = advisory.collection == "rust"
    package: dict[str, str] = {"ecosystem": ECOSYSTEM, "name": advisory.package}
    if not toolchain:
        package["purl"] = f"pkg:cargo/{advisory.package}"
    reference_urls = [] if toolchain else [f"https://crates.io/crates/{advisory.package}"]
    reference_urls.append(f"https://rustsec.org/advisories/{advisory.id}.html")
    if advisory.url:
        reference_urls.append(advisory.url)
    reference_urls.extend(advisory.references)
    events: list[dict[str, str]] = []
    for introduced, fixed in osv_ranges(advisory.patched, advisory.unaffected):
        events.append({"introduced": str(introduced) if introduced else "0.0.0-0"})
        if fixed is not None:
            events.append({"fixed": str(fixed)})
    modified = max(d for d in (advisory.date, advisory.withdrawn) if d is not None)
    database_specific: dict[str, Any] = {"license": advisory.license}
    if toolchain:
        database_specific["collection"] = "rust"
    doc: dict[str, Any] = {
        "id": advisory.id,
        "modified": _rfc3339(modified),
        "published": _rfc3339(advisory.date),
        "aliases": list(advisory.aliases),
        "related": list(advisory.related),
        "summary": advisory.title,
        "details": advisory.description,
        "severity": [{"type": _cvss_type(advisory.cvss), "score": advisory.cvss}]
        if advisory.cvss
        else [],
        "affected": [
            {
                "package": package,
                "ecosystem_specific": {
                    "affects": {
                        "arch": list(advisory.affected_arch),
                        "os": list(advisory.affected_os),
                        # rustsec keeps the function paths in a BTreeMap: sorted
                        "functions": sorted(path for path, _ in advisory.affected_functions),
                    },
                    "affected_functions": None,
                },
                "database_specific": {
                    "categories": list(advisory.categories),
                    "cvss": advisory.cvss,
                    "informational": advisory.informational,
                },
                "ranges": [{"type": "SEMVER", "events": events}],
                "versions": [],
            }
        ],
        "references": [{"type": _reference_type(url), "url": url} for url in reference_urls],
        "database_specific": database_specific,
    }
    if advisory.withdrawn is not None:
        doc["withdrawn"] = _rfc3339(advisory.withdrawn)
    return validate_osv(doc, source=advisory.id)


# --- Cargo requirements -> OSV ranges (rustsec/src/osv/{unaffected_range,ranges_for_advisory}.rs)


@total_ordering
@dataclass(frozen=True)
class SemVer:
    """A SemVer 2.0 version, ordered by precedence (build metadata is dropped, as rustsec does)."""

    major: int
    minor: int
    patch: int
    pre: tuple[str, ...] = ()

    def __str__(self) -> str:
        core = f"{self.major}.{self.minor}.{self.patch}"
        return f"{core}-{'.'.join(self.pre)}" if self.pre else core

    def _key(self) -> tuple[int, int, int, int, tuple[tuple[int, int, str], ...]]:
        # A release sorts after its pre-releases; numeric identifiers sort before alphanumeric.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.pre)
        return (self.major, self.minor, self.patch, 0 if self.pre else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SemVer):
            return NotImplemented
        return self._key() < other._key()

    def increment(self) -> SemVer:
        """The lowest version above this one: 1.2.3 -> 1.2.4-0, 1.2.3-alpha -> 1.2.3-alpha.0."""
        if not self.pre:
            return SemVer(self.major, self.minor, self.patch + 1, ("0",))
        return SemVer(self.major, self.minor, self.patch, (*self.pre, "0"))


_Bound = tuple[Literal["unbounded", "inclusive", "exclusive"], SemVer | None]
_UNBOUNDED: _Bound = ("unbounded", None)

_COMPARATOR = re.compile(
    r"\s*(?P<op>>=|<=|>|<|=|~|\^)?\s*"
    r"(?P<major>\d+)(?:\.(?P<minor>\d+|[*xX])(?:\.(?P<patch>\d+|[*xX])"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?)?)?\s*"
)


def osv_ranges(
    patched: tuple[str, ...] | list[str], unaffected: tuple[str, ...] | list[str]
) -> list[tuple[SemVer | None, SemVer | None]]:
    """Affected `[introduced, fixed)` intervals: the gaps between the unaffected ones."""
    ranges = [_unaffected_range(req) for req in (*unaffected, *patched)]
    if not ranges:
        return [(None, None)]  # nothing is unaffected: every version is affected
    for i, a in enumerate(ranges):
        for b in ranges[i + 1 :]:
            if _less_or_equal(a[0], b[1]) and _less_or_equal(b[0], a[1]):
                raise InvalidRecord(f"overlapping version ranges: {_show(a)} and {_show(b)}")
    ranges.sort(key=lambda r: (r[0][1] is not None, r[0][1] or SemVer(0, 0, 0)))
    result: list[tuple[SemVer | None, SemVer | None]] = []
    first_start = ranges[0][0]
    if first_start[1] is not None:
        fixed = first_start[1].increment() if first_start[0] == "exclusive" else first_start[1]
        result.append((None, fixed))
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert end[1] is not None and start[1] is not None  # only the outer bounds are open
        introduced = end[1] if end[0] == "exclusive" else end[1].increment()
        fixed = start[1].increment() if start[0] == "exclusive" else start[1]
        result.append((introduced, fixed))
    last_end = ranges[-1][1]
    if last_end[1] is not None:
        introduced = last_end[1] if last_end[0] == "exclusive" else last_end[1].increment()
        result.append((introduced, None))
    return result


def _unaffected_range(requirement: str) -> tuple[_Bound, _Bound]:
    """One Cargo requirement ('>= 1.2, < 1.5', '^0.4.1', '=1.0') as an interval of versions."""
    if not isinstance(requirement, str):
        raise InvalidRecord(f"a version requirement must be a string, not {requirement!r}")
    text = requirement.strip()
    if text == "*":
        return (_UNBOUNDED, _UNBOUNDED)
    parts = text.split(",")
    if len(parts) > 2:
        raise InvalidRecord(f"too many comparators in version requirement: {requirement!r}")
    start, end = _UNBOUNDED, _UNBOUNDED
    for part in parts:
        match = _COMPARATOR.fullmatch(part)
        if match is None:
            raise InvalidRecord(f"not a Cargo version requirement: {requirement!r}")
        op = match["op"] or "^"  # a bare version means a caret requirement in Cargo
        minor, patch = match["minor"], match["patch"]
        if (minor or "").lower() in ("*", "x") or (patch or "").lower() in ("*", "x"):
            raise InvalidRecord(f"wildcard requirements are not supported: {requirement!r}")
        version = _comparator_version(match, requirement)
        if op in ("^", "~", "=") and len(parts) != 1:
            raise InvalidRecord(f"'{op}' must be alone in its requirement: {requirement!r}")
        if op in (">", ">="):
            if start != _UNBOUNDED:
                raise InvalidRecord(f"more than one lower bound: {requirement!r}")
            start = ("exclusive" if op == ">" else "inclusive", version)
        elif op in ("<", "<="):
            if end != _UNBOUNDED:
                raise InvalidRecord(f"more than one upper bound: {requirement!r}")
            end = ("exclusive" if op == "<" else "inclusive", version)
        elif op == "=":
            start, end = ("inclusive", version), ("inclusive", version)
        else:
            start, end = ("inclusive", version), ("exclusive", _caret_or_tilde_end(op, match))
    if not _less_or_equal(start, end):
        raise InvalidRecord(f"empty version range (start after end): {requirement!r}")
    return (start, end)


def _comparator_version(match: re.Match[str], requirement: str) -> SemVer:
    numbers = [match["major"], match["minor"], match["patch"]]
    for number in numbers:
        if number is not None and len(number) > 1 and number.startswith("0"):
            raise InvalidRecord(f"leading zero in version number: {requirement!r}")
    pre = tuple(match["pre"].split(".")) if match["pre"] else ()
    for identifier in pre:
        if identifier.isdigit() and len(identifier) > 1 and identifier.startswith("0"):
            raise InvalidRecord(f"leading zero in pre-release identifier: {requirement!r}")
    return SemVer(int(numbers[0]), int(numbers[1] or 0), int(numbers[2] or 0), pre)


def _caret_or_tilde_end(op: str, match: re.Match[str]) -> SemVer:
    # '-0' is the lowest pre-release, so that ^1.0.0 does not reach 2.0.0-alpha1.
    major = int(match["major"])
    minor = int(match["minor"]) if match["minor"] is not None else None
    patch = int(match["patch"]) if match["patch"] is not None else None
    if op == "~":
        return (
            SemVer(major + 1, 0, 0, ("0",))
            if minor is None
            else SemVer(major, minor + 1, 0, ("0",))
        )
    if major > 0:
        return SemVer(major + 1, 0, 0, ("0",))
    if minor is None:
        return SemVer(1, 0, 0, ("0",))
    if minor == 0 and patch is not None:
        return SemVer(0, 0, patch + 1, ("0",))
    return SemVer(0, minor + 1, 0, ("0",))


def _less_or_equal(start: _Bound, end: _Bound) -> bool:
    """rustsec's `Bound::less_or_equal`: may a range start at `start` and end at `end`?"""
    if start[1] is None or end[1] is None:
        return True
    if start[1] < end[1]:
        return True
    return start[0] == "inclusive" and end[0] == "inclusive" and start[1] == end[1]


def _show(bounds: tuple[_Bound, _Bound]) -> str:
    (start_kind, start), (end_kind, end) = bounds
    left = "[0" if start is None else f"{'(' if start_kind == 'exclusive' else '['}{start}"
    right = "∞)" if end is None else f"{end}{')' if end_kind == 'exclusive' else ']'}"
    return f"{left}, {right}"


# --- the advisory file


def _split_parts(text: str, source: str) -> tuple[str, str, str]:
    """rustsec's `Parts::parse`: front matter, then '# Title', then the description."""
    if not text.startswith(_FENCE_START):
        raise InvalidRecord(
            "a RustSec advisory must start with a ```toml front matter", source=source
        )
    end = text.find(_FENCE_END)
    if end < 0:
        raise InvalidRecord("the ```toml front matter is not closed", source=source)
    front_matter = text[len(_FENCE_START) : end].strip()
    markdown = text[end + len(_FENCE_END) :].lstrip()
    if not markdown.startswith("# "):
        raise InvalidRecord("expected a '# Title' after the front matter", source=source)
    newline = markdown.find("\n")
    if newline < 0:
        raise InvalidRecord("no description after the title", source=source)
    return front_matter, markdown[2:newline].rstrip(), markdown[newline + 1 :].strip()


def _collection_from_path(source: str) -> str:
    parts = source.replace("\\", "/").split("!")[-1].split("/")
    # .../rust/<crate>/<ID>.md is the toolchain collection, .../crates/<crate>/<ID>.md the crates
    return "rust" if len(parts) >= 3 and parts[-3] == "rust" else "crates"


def _cvss(advisory: _Fields) -> str | None:
    vector = advisory.optional_str("cvss")
    if vector is not None and _cvss_type(vector) is None:
        raise InvalidRecord(
            f"cvss must be a CVSS v2, v3 or v4 vector: {vector!r}",
            source=advisory.source,
            path=advisory.path("cvss"),
        )
    return vector


def _cvss_type(vector: str) -> str | None:
    """The OSV severity type of a vector, as rustsec's `OsvSeverity` chooses it."""
    if vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
        return "CVSS_V3"
    if vector.startswith("CVSS:4.0/"):
        return "CVSS_V4"
    if vector.startswith("AV:"):
        return "CVSS_V2"
    return None


def _rfc3339(day: dt.date) -> str:
    return f"{day.isoformat()}T12:00:00Z"  # noon UTC, as rustsec writes a date


def _reference_type(url: str) -> str:
    """rustsec's `guess_url_kind`."""
    if ("://github.com/" in url or "://gitlab." in url) and "/issues/" in url:
        return "REPORT"
    if "/advisories/" in url or "://www.cve.org/" in url:
        return "ADVISORY"
    if "://crates.io/crates/" in url:
        return "PACKAGE"
    return "WEB"


class _Fields:
    """Typed access to one TOML table, every error naming its path ('$.advisory.date')."""

    def __init__(self, table: dict[str, Any], source: str, prefix: str = "$") -> None:
        self._table = table
        self.source = source
        self._prefix = prefix

    def path(self, key: str) -> str:
        return f"{self._prefix}.{key}"

    def _error(self, key: str, reason: str) -> InvalidRecord:
        return InvalidRecord(reason, source=self.source, path=self.path(key))

    def table(self, key: str, *, required: bool) -> _Fields:
        value = self._table.get(key)
        if value is None:
            if required:
                raise self._error(key, f"the [{key}] table is required")
            value = {}
        if not isinstance(value, dict):
            raise self._error(key, f"[{key}] must be a table")
        return _Fields(value, self.source, self.path(key))

    def required_str(self, key: str) -> str:
        value = self.optional_str(key)
        if not value:
            raise self._error(key, f"'{key}' is required")
        return value

    def optional_str(self, key: str) -> str | None:
        value = self._table.get(key)
        if value is not None and not isinstance(value, str):
            raise self._error(key, f"'{key}' must be a string")
        return value

    def optional_bool(self, key: str) -> bool:
        value = self._table.get(key, False)
        if not isinstance(value, bool):
            raise self._error(key, f"'{key}' must be true or false")
        return value

    def str_list(self, key: str, *, required: bool = False) -> tuple[str, ...]:
        value = self._table.get(key)
        if value is None:
            if required:
                raise self._error(key, f"'{key}' is required")
            return ()
        if not isinstance(value, list):
            raise self._error(key, f"'{key}' must be a list of strings")
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise InvalidRecord(
                    f"'{key}' must be a list of strings",
                    source=self.source,
                    path=f"{self.path(key)}[{i}]",
                )
        return tuple(value)

    def date(self, key: str, *, required: bool) -> dt.date | None:
        value = self._table.get(key)
        if value is None:
            if required:
                raise self._error(key, f"'{key}' is required")
            return None
        if isinstance(value, dt.date) and not hasattr(value, "hour"):
            return value  # an unquoted TOML date
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise self._error(key, f"'{key}' must be a date YYYY-MM-DD, not {value!r}")
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise self._error(key, f"'{key}' is not a valid date: {value!r}") from exc

    def functions(self, key: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        functions = self.table(key, required=False)
        return tuple((path, functions.str_list(path)) for path in functions._table)
