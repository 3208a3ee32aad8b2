"""A case's affected versions, as people write them, turned into OSV ranges.

Coordinators write what they know: `<3.6.9`, `>=1.0, <2.0`, `>=2.0.0 <2.4.1 || >=3.0.0
<3.0.2`, a list of exact versions, or a vers URI (`vers:pypi/>=1.0|<2.0`). The constraint
grammar is the one vers specifies (a comparator and a version, any number of times), so it
is read here by a small scanner; the versions themselves are read by the matcher's own
ecosystem orderings (`matching.versions`), so the ranges written into the OSV record are
ordered exactly as the matcher will read them back. Ecosystems the matcher has no ordering
for keep the order the coordinator wrote.

Each interval becomes its own OSV range (an `introduced` and at most one closing event),
which keeps `fixed` and `last_affected` out of the same range, as the schema asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from clearinghouse.disclosure.errors import InvalidCaseField
from clearinghouse.formats.osv import OSV_SCHEMA
from clearinghouse.matching.errors import InvalidVersion, UnsupportedEcosystem
from clearinghouse.matching.versions import Version, parse_version

FIELD = "affected_versions"
MAX_CONSTRAINTS = 100
MAX_TEXT = 5000
_ECOSYSTEM = re.compile(OSV_SCHEMA["$defs"]["ecosystemWithSuffix"]["pattern"])
_COMPARATORS = (">=", "<=", "!=", "==", ">", "<", "=")
_SEPARATORS = ",|"
# The vers scheme each OSV ecosystem is written with (https://github.com/package-url/vers-spec).
VERS_SCHEMES = {
    "PyPI": "pypi",
    "npm": "npm",
    "Go": "golang",
    "crates.io": "cargo",
    "Maven": "maven",
    "RubyGems": "gem",
    "NuGet": "nuget",
    "Packagist": "composer",
    "Hex": "hex",
    "Pub": "pub",
    "Debian": "deb",
    "Ubuntu": "deb",
    "Alpine": "apk",
    "ConanCenter": "conan",
}


@dataclass(frozen=True)
class Constraint:
    comparator: str  # one of >=, >, <=, <, =, !=, or * for every version
    version: str


@dataclass
class OsvAffected:
    """The `ranges` and `versions` of one OSV `affected[]` entry."""

    ranges: list[dict[str, Any]] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)


def check_ecosystem(ecosystem: str, *, field_name: str = "package_ecosystem") -> str:
    """An OSV ecosystem name (`PyPI`, `Debian:12`, ...), or a clear error naming the field."""
    ecosystem = ecosystem.strip()
    if not _ECOSYSTEM.fullmatch(ecosystem) or ecosystem == "GIT" or len(ecosystem) > 64:
        raise InvalidCaseField(
            field_name, f"{ecosystem!r} is not an OSV ecosystem (e.g. PyPI, npm, Go, Maven)"
        )
    return ecosystem


def parse_constraints(ecosystem: str, text: str) -> list[Constraint]:
    """The constraints of `text`, in a vers URI or in the comparator lists people write."""
    text = text.strip()
    if not text:
        raise InvalidCaseField(FIELD, "name the affected versions, e.g. <2.1.3")
    if len(text) > MAX_TEXT:
        raise InvalidCaseField(FIELD, f"at most {MAX_TEXT} characters")
    if text.startswith("vers:"):
        return _vers(ecosystem, text)
    constraints = _scan(text)
    if len(constraints) > MAX_CONSTRAINTS:
        raise InvalidCaseField(FIELD, f"at most {MAX_CONSTRAINTS} constraints")
    return constraints


def _vers(ecosystem: str, text: str) -> list[Constraint]:
    scheme, slash, body = text[len("vers:") :].partition("/")
    expected = VERS_SCHEMES.get(ecosystem.split(":", 1)[0])
    if not slash or not body:
        raise InvalidCaseField(FIELD, f"{text!r} is not a vers URI (vers:<scheme>/<constraints>)")
    if expected is not None and scheme.lower() != expected:
        raise InvalidCaseField(
            FIELD, f"a {ecosystem} package takes vers:{expected}/..., not vers:{scheme}/..."
        )
    if body.strip() == "*":
        return [Constraint("*", "")]
    constraints = []
    for part in body.split("|"):
        scanned = _scan(part.strip())
        if len(scanned) != 1:
            raise InvalidCaseField(FIELD, f"{part!r} is not one vers constraint")
        constraints.append(Constraint(scanned[0].comparator, unquote(scanned[0].version)))
    if len(constraints) > MAX_CONSTRAINTS:
        raise InvalidCaseField(FIELD, f"at most {MAX_CONSTRAINTS} constraints")
    return constraints


def _scan(text: str) -> list[Constraint]:
    """Comparator-version pairs separated by commas, pipes (`||` too) or spaces."""
    constraints: list[Constraint] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace() or char in _SEPARATORS:
            position += 1
            continue
        if char == "*":
            constraints.append(Constraint("*", ""))
            position += 1
            continue
        comparator = next((c for c in _COMPARATORS if text.startswith(c, position)), "=")
        if text.startswith(comparator, position):
            position += len(comparator)
        while position < len(text) and text[position].isspace():
            position += 1
        start = position
        while position < len(text) and not (
            text[position].isspace() or text[position] in _SEPARATORS + "<>=!"
        ):
            position += 1
        version = text[start:position]
        if not version:
            raise InvalidCaseField(FIELD, f"{comparator!r} needs a version after it")
        constraints.append(Constraint("=" if comparator == "==" else comparator, version))
    return constraints


def _parsed(ecosystem: str, text: str) -> Version | None:
    """The version in the matcher's ordering; None when the ecosystem has no ordering here."""
    try:
        return parse_version(ecosystem, text)
    except UnsupportedEcosystem:
        return None
    except InvalidVersion as exc:
        raise InvalidCaseField(FIELD, str(exc)) from None


def _in_order(ecosystem: str, constraints: list[Constraint]) -> list[Constraint]:
    """Sorted by the ecosystem's ordering (stable); as written where we have no ordering."""
    keyed = [(c, _parsed(ecosystem, c.version) if c.version else None) for c in constraints]
    if any(version is None and c.comparator != "*" for c, version in keyed):
        return constraints
    seen: dict[Version, Constraint] = {}
    for constraint, version in keyed:
        if version is None:
            continue
        if version in seen and seen[version] != constraint:
            raise InvalidCaseField(
                FIELD,
                f"{version.text} appears twice ({seen[version].comparator} and "
                f"{constraint.comparator}): give each version one constraint",
            )
        seen[version] = constraint
    stars = [c for c, _ in keyed if c.comparator == "*"]
    ordered = sorted(((c, v) for c, v in keyed if v is not None), key=lambda pair: pair[1])
    return stars + [c for c, _ in ordered]


def osv_affected(ecosystem: str, text: str) -> OsvAffected:
    """The OSV ranges and versions that say what `text` says, or a clear error."""
    constraints = _in_order(ecosystem, parse_constraints(ecosystem, text))
    result = OsvAffected()
    opened: str | None = None
    for constraint in constraints:
        comparator, version = constraint.comparator, constraint.version
        if comparator == "*":
            if len(constraints) > 1:
                raise InvalidCaseField(FIELD, "'*' (every version) stands alone")
            result.ranges.append(_range({"introduced": "0"}))
        elif comparator == "=":
            if version not in result.versions:
                result.versions.append(version)
        elif comparator == ">=":
            if opened is not None:
                raise InvalidCaseField(
                    FIELD, f">={version} follows >={opened} with no upper bound between them"
                )
            opened = version
        elif comparator in ("<", "<="):
            closing = "fixed" if comparator == "<" else "last_affected"
            result.ranges.append(_range({"introduced": opened or "0"}, {closing: version}))
            opened = None
        elif comparator == ">":
            raise InvalidCaseField(
                FIELD, f">{version}: OSV ranges start at a version; write >= the next version"
            )
        else:
            raise InvalidCaseField(
                FIELD, f"{comparator}{version}: exclusions have no OSV form; split the range"
            )
    if opened is not None:
        result.ranges.append(_range({"introduced": opened}))
    return result


def _range(*events: dict[str, str]) -> dict[str, Any]:
    return {"type": "ECOSYSTEM", "events": list(events)}
