"""Versions of each package ecosystem, parsed once into keys that sort as the ecosystem sorts them.

Every ordering here turns a version string into a plain Python tuple (or, for Maven, a small
object) whose natural order is the ecosystem's order, so that comparing two parsed versions
costs one tuple comparison. Parsing is cached: intake and scanning compare the same few
hundred thousand version strings millions of times. Why we wrote our own orderings instead
of using univers for most ecosystems, with the figures, is in
docs/decisions/0005-version-semantics.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import packaging.version

from clearinghouse.matching.errors import InvalidVersion, UnsupportedEcosystem

__all__ = [
    "ORDERINGS",
    "Version",
    "compare",
    "ecosystem_ordering",
    "parse_version",
]


class Version:
    """One parsed version: the text as written and the key its ecosystem orders it by."""

    __slots__ = ("_hash", "key", "ordering", "text")

    def __init__(self, ordering: str, text: str, key: Any) -> None:
        self.ordering = ordering
        self.text = text
        self.key = key
        # Versions live in sets (an entry's `versions` list) and are hashed often; the key
        # (a packaging.Version's nested tuple, say) costs microseconds to hash each time.
        self._hash = hash((ordering, key))

    def _check(self, other: Version) -> None:
        if other.ordering != self.ordering:
            raise TypeError(f"cannot compare a {self.ordering} and a {other.ordering} version")

    def __lt__(self, other: Version) -> bool:
        if other.ordering != self.ordering:
            self._check(other)
        return self.key < other.key

    def __le__(self, other: Version) -> bool:
        if other.ordering != self.ordering:
            self._check(other)
        return self.key <= other.key

    def __gt__(self, other: Version) -> bool:
        if other.ordering != self.ordering:
            self._check(other)
        return self.key > other.key

    def __ge__(self, other: Version) -> bool:
        if other.ordering != self.ordering:
            self._check(other)
        return self.key >= other.key

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version) or other.ordering != self.ordering:
            return False
        return self.key == other.key

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Version({self.ordering!r}, {self.text!r})"


# --- PyPI: PEP 440, through packaging (the reference implementation pip uses) ---------------

# Releases from before PEP 440 ("0.9-doduo", "0.7.1.fix1") are still on PyPI and listed in
# advisories. OSV.dev orders them as setuptools' LegacyVersion did (packaging_legacy): below
# every PEP 440 version, among themselves by the legacy scheme. So do we.
_LEGACY_PART = re.compile(r"(\d+|[a-z]+|\.|-)")
_LEGACY_REPLACE = {"pre": "c", "preview": "c", "-": "final-", "rc": "c", "dev": "@"}


def _legacy_parts(text: str) -> list[str]:
    parts: list[str] = []
    for raw in _LEGACY_PART.split(text.lower()):
        part = _LEGACY_REPLACE.get(raw, raw)
        if not part or part == ".":
            continue
        part = part.zfill(8) if part[0].isdigit() else "*" + part
        if part.startswith("*"):
            if part < "*final":  # a pre-release marker: drop the "-" before it
                while parts and parts[-1] == "*final-":
                    parts.pop()
            while parts and parts[-1] == "00000000":  # 1.0 == 1.0.0
                parts.pop()
        parts.append(part)
    while parts and parts[-1] == "00000000":
        parts.pop()
    parts.append("*final")
    return parts


def _pypi_key(text: str) -> tuple[int, Any]:
    try:
        return (1, packaging.version.Version(text))
    except packaging.version.InvalidVersion:
        if not text.strip() or any(c.isspace() for c in text.strip()):
            raise ValueError("not a PEP 440 version, nor a legacy one") from None
        return (0, tuple(_legacy_parts(text.strip())))


# --- SemVer 2.0 (npm, crates.io, Hex, SEMVER ranges) and Go -----------------------------------

# Lenient in the ways OSV.dev's SemVer helper is (a leading "v", a missing minor or patch, leading
# zeros), strict about the characters, so that "1.2" and "v1.2.0" are the same version.
_SEMVER = re.compile(
    r"v?(\d+)(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
# A release sorts after every pre-release of the same major.minor.patch.
_RELEASE: tuple[Any, ...] = (1,)


def _prerelease_key(prerelease: str, *, fold_case: bool = False) -> tuple[Any, ...]:
    """SemVer section 11: numeric identifiers by value and below alphanumeric ones, which sort
    as ASCII; a shorter list of equal identifiers sorts first (tuple order does that)."""
    if fold_case:
        prerelease = prerelease.lower()
    identifiers: list[tuple[int, int | str]] = []
    for identifier in prerelease.split("."):
        if identifier.isdigit():
            identifiers.append((0, int(identifier)))
        else:
            identifiers.append((1, identifier))
    return (0, *identifiers)


def _semver_key(text: str) -> tuple[Any, ...]:
    match = _SEMVER.fullmatch(text)
    if match is None:
        raise ValueError("not MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]")
    major, minor, patch, prerelease, _build = match.groups()
    # Build metadata takes no part in precedence (SemVer 11): Go's "+incompatible" included.
    return (
        int(major),
        int(minor or 0),
        int(patch or 0),
        _prerelease_key(prerelease) if prerelease else _RELEASE,
    )


# --- NuGet: up to four numbers, SemVer 2.0 pre-release labels compared without case ----------

_NUGET = re.compile(
    r"(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


def _nuget_key(text: str) -> tuple[Any, ...]:
    match = _NUGET.fullmatch(text.strip())
    if match is None:
        raise ValueError("not MAJOR[.MINOR[.PATCH[.REVISION]]][-PRERELEASE][+METADATA]")
    *numbers, prerelease, _metadata = match.groups()
    return (
        *(int(number or 0) for number in numbers),
        _prerelease_key(prerelease, fold_case=True) if prerelease else _RELEASE,
    )


# --- RubyGems: Gem::Version ---------------------------------------------------------------------

_GEM = re.compile(r"[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?")
_GEM_SEGMENT = re.compile(r"[0-9]+|[a-zA-Z]+")
# Gem::Version pads the shorter version with zeros. Encoding each segment with the number of
# zeros before it makes that padding a plain tuple order: a number after fewer zeros is larger,
# a string after fewer zeros is smaller, and the end (endless zeros) sits between the two.
_GEM_END = (0.5,)


def _strip_zeros(segments: list[int | str]) -> list[int | str]:
    while segments and segments[-1] == 0:
        segments.pop()
    return segments


def _rubygems_key(text: str) -> tuple[Any, ...]:
    text = text.strip() or "0"
    if _GEM.fullmatch(text) is None:
        raise ValueError("not a Gem::Version")
    segments: list[int | str] = [
        int(part) if part.isdigit() else part
        for part in _GEM_SEGMENT.findall(text.replace("-", ".pre."))
    ]
    # canonical_segments: trailing zeros dropped from the numeric part and the string part.
    first_string = next((i for i, s in enumerate(segments) if isinstance(s, str)), len(segments))
    canonical = _strip_zeros(segments[:first_string]) + _strip_zeros(segments[first_string:])
    key: list[tuple[Any, ...]] = []
    zeros = 0
    for segment in canonical:
        if segment == 0:
            zeros += 1
        elif isinstance(segment, int):
            key.append((1, -zeros, segment))
            zeros = 0
        else:
            key.append((0, zeros, segment))
            zeros = 0
    key.append(_GEM_END)
    return tuple(key)


# --- Packagist: PHP's version_compare(), as OSV.dev and Composer apply it ---------------------

# php_canonicalize_version(): "-", "_", "+" become ".", and a "." goes between digits and
# other characters. Special forms are matched by prefix, in this order, as PHP does.
_PHP_FORMS = (
    ("dev", 0),
    ("alpha", 1),
    ("a", 1),
    ("beta", 2),
    ("b", 2),
    ("RC", 3),
    ("rc", 3),
    ("#", 4),
    ("pl", 5),
    ("p", 5),
)
_PHP_UNKNOWN_FORM = -6
_PHP_SPLIT = re.compile(r"[-_+.]+|(?<=\d)(?=[^\d.\-_+])|(?<=[^\d.\-_+])(?=\d)")
# A shorter version compares as if followed by "#": below any number, above dev/alpha/beta/RC.
_PHP_END = (4, -1)


def _php_form(part: str) -> int:
    for name, order in _PHP_FORMS:
        if part.startswith(name):
            return order
    return _PHP_UNKNOWN_FORM


def _packagist_key(text: str) -> tuple[Any, ...]:
    text = text.strip()
    if text.startswith(("v", "V")):
        text = text[1:]
    if not text or any(c.isspace() for c in text):
        raise ValueError("empty or contains spaces")
    key: list[tuple[int, int]] = []
    for part in _PHP_SPLIT.split(text):
        if not part:
            continue
        key.append((4, int(part)) if part.isdigit() else (_php_form(part), 0))
    if not key:
        raise ValueError("no version parts")
    key.append(_PHP_END)
    return tuple(key)


# --- Maven: ComparableVersion, as Maven 3.9 resolves versions --------------------------------

# Not the token reading of the POM reference that OSV.dev implements: read literally, that
# order is not transitive (1 < 1.foo < 1-alpha < 1), so no sort or bisection can rely on it.
# Maven's own ComparableVersion nests a list at each "-" (and at each switch between digits
# and letters, and since MNG-7644 before a trailing ".qualifier"), trims null items, and
# compares items by kind: a qualifier < a list < a number.
_MAVEN_QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_MAVEN_RELEASE = "5"  # the index of "" above, as ComparableVersion compares it: a string
_MAVEN_ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_MAVEN_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}
_INT, _STR, _LIST = 0, 1, 2
_MavenItem = tuple[int, Any]  # (_INT, int) | (_STR, comparable qualifier) | (_LIST, list)


def _maven_string(value: str, followed_by_digit: bool) -> _MavenItem:
    if followed_by_digit and len(value) == 1:
        value = _MAVEN_SHORT.get(value, value)
    value = _MAVEN_ALIASES.get(value, value)
    if value in _MAVEN_QUALIFIERS:
        return (_STR, str(_MAVEN_QUALIFIERS.index(value)))
    return (_STR, f"{len(_MAVEN_QUALIFIERS)}-{value}")


def _maven_item(is_digit: bool, text: str) -> _MavenItem:
    return (_INT, int(text)) if is_digit else _maven_string(text, False)


def _maven_is_null(item: _MavenItem) -> bool:
    kind, value = item
    if kind == _INT:
        return bool(value == 0)
    if kind == _STR:
        return bool(value == _MAVEN_RELEASE)
    return not value


def _maven_normalize(items: list[_MavenItem]) -> None:
    for i in range(len(items) - 1, -1, -1):
        if _maven_is_null(items[i]):
            del items[i]
        elif items[i][0] != _LIST:
            break


def _maven_items(version: str) -> list[_MavenItem]:
    items: list[_MavenItem] = []
    current = items
    stack = [items]

    def nest() -> None:
        nonlocal current
        child: list[_MavenItem] = []
        current.append((_LIST, child))
        current = child
        stack.append(child)

    is_digit = False
    start = 0
    for i, char in enumerate(version):
        if char in ".-":
            current.append((_INT, 0) if i == start else _maven_item(is_digit, version[start:i]))
            start = i + 1
            if char == "-":
                nest()
        elif char.isdigit():
            if not is_digit and i > start:
                if current:  # 1.0.0.X1 < 1.0.0-X2: ".X" counts as "-X"
                    nest()
                current.append(_maven_string(version[start:i], True))
                start = i
                nest()
            is_digit = True
        else:
            if is_digit and i > start:
                current.append(_maven_item(True, version[start:i]))
                start = i
                nest()
            is_digit = False
    if len(version) > start:
        if not is_digit and current:
            nest()
        current.append(_maven_item(is_digit, version[start:]))
    while stack:
        _maven_normalize(stack.pop())
    return items


def _maven_compare(item: _MavenItem, other: _MavenItem | None) -> int:
    """Item.compareTo(other), with None for the padding of a shorter list."""
    kind, value = item
    if kind == _INT:
        if other is None:
            return 0 if value == 0 else 1
        if other[0] == _INT:
            return (value > other[1]) - (value < other[1])
        return 1
    if kind == _STR:
        if other is None:
            return (value > _MAVEN_RELEASE) - (value < _MAVEN_RELEASE)
        if other[0] == _STR:
            return (value > other[1]) - (value < other[1])
        return -1
    if other is None:  # MNG-6964: the whole list against null, not just its first item
        return next((r for r in (_maven_compare(i, None) for i in value) if r), 0)
    if other[0] != _LIST:
        return -1 if other[0] == _INT else 1
    return _maven_compare_lists(value, other[1])


def _maven_compare_lists(left: list[_MavenItem], right: list[_MavenItem]) -> int:
    for i in range(max(len(left), len(right))):
        if i >= len(left):
            result = -_maven_compare(right[i], None)
        else:
            result = _maven_compare(left[i], right[i] if i < len(right) else None)
        if result:
            return result
    return 0


class _MavenKey:
    """Maven items pad against each other, so the key is an object that compares itself."""

    __slots__ = ("_hash", "items")

    def __init__(self, items: list[_MavenItem]) -> None:
        self.items = items
        # Equal versions share their first item (nulls are trimmed), so hashing it is safe.
        first = items[0] if items else None
        self._hash = hash(first if first is None or first[0] != _LIST else _LIST)

    def compare(self, other: _MavenKey) -> int:
        return _maven_compare_lists(self.items, other.items)

    def __lt__(self, other: _MavenKey) -> bool:
        return self.compare(other) < 0

    def __le__(self, other: _MavenKey) -> bool:
        return self.compare(other) <= 0

    def __gt__(self, other: _MavenKey) -> bool:
        return self.compare(other) > 0

    def __ge__(self, other: _MavenKey) -> bool:
        return self.compare(other) >= 0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _MavenKey) and self.compare(other) == 0

    def __hash__(self) -> int:
        return self._hash


def _maven_key(text: str) -> _MavenKey:
    text = text.strip()
    if not text or any(c.isspace() for c in text):
        raise ValueError("empty or contains spaces")
    return _MavenKey(_maven_items(text.lower()))


# --- Debian (and Ubuntu): dpkg's epoch:upstream-revision ----------------------------------------

_DPKG_CHARS = re.compile(r"[0-9A-Za-z.+~:-]+")
_DPKG_PART = re.compile(r"(\D*)(\d*)")


# dpkg's order() as code points, so that a non-digit part is one string that compares as dpkg
# does: "~" before everything, even the end of the part ("\x02"); then letters; then the rest.
_DPKG_ORDER = str.maketrans({"~": "\x01", **{c: chr(ord(c) + 256) for c in ".+-:"}})
_DPKG_PART_END = "\x02"
# The end of a string: an empty non-digit part and the number 0.
_DPKG_END = (_DPKG_PART_END, 0)


def _dpkg_string_key(text: str) -> tuple[Any, ...]:
    """verrevcmp() as a key: alternating non-digit parts and numbers."""
    parts: list[tuple[str, int]] = [
        (nondigits.translate(_DPKG_ORDER) + _DPKG_PART_END, int(digits or 0))
        for nondigits, digits in _DPKG_PART.findall(text)
        if nondigits or digits
    ]
    # "1.0" == "1.0-0": trailing parts equal to the end are dropped before the end is added.
    # Only the first part can equal the end (later ones start with a non-digit), so it stays:
    # "0" and "" both become (end, end), and "0" still lines up against "0~".
    if not parts:
        parts.append(_DPKG_END)
    while len(parts) > 1 and parts[-1] == _DPKG_END:
        parts.pop()
    parts.append(_DPKG_END)
    return tuple(parts)


def _debian_key(text: str) -> tuple[Any, ...]:
    text = text.strip()
    if _DPKG_CHARS.fullmatch(text) is None:
        raise ValueError("not [epoch:]upstream[-revision] (letters, digits and .+~:-)")
    epoch, colon, rest = text.partition(":")
    if not colon:
        epoch, rest = "0", text
    elif not epoch.isdigit():
        raise ValueError("the epoch must be a number")
    upstream, hyphen, revision = rest.rpartition("-")
    if not hyphen:
        upstream, revision = rest, ""
    elif not revision or ":" in revision:
        raise ValueError("empty or malformed revision")
    if not upstream or not upstream[0].isdigit():
        raise ValueError("the upstream version must start with a digit")
    return (int(epoch), _dpkg_string_key(upstream), _dpkg_string_key(revision))


# --- Alpine: apk-tools' version order -----------------------------------------------------------

_APK = re.compile(
    r"(\d+)((?:\.\d+)*)([a-z]?)"
    r"((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)"
    r"(?:~[0-9a-f]+)?(?:-r(\d+))?"
)
_APK_SUFFIX = re.compile(r"_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)")
_APK_SUFFIX_RANK = {
    "alpha": -4,
    "beta": -3,
    "pre": -2,
    "rc": -1,
    "cvs": 1,
    "svn": 2,
    "git": 3,
    "hg": 4,
    "p": 5,
}
# apk compares token by token; when the kinds differ, the kind that comes later in a version
# string means the version ended sooner, so it sorts lower. Pre-release suffixes sort lowest.
_APK_DIGIT, _APK_LETTER, _APK_SUFFIX_KIND, _APK_SUFFIX_NUMBER, _APK_REVISION = -1, -2, -3, -4, -5
_APK_PRE_SUFFIX = -100
_APK_END = (-6, 0)


def _apk_component(part: str) -> tuple[int, int | str]:
    # After the first number, a component with a leading zero compares as a decimal fraction
    # (apk and Gentoo): "1.01" < "1.1". Such components always sort below the others.
    if part.startswith("0"):
        return (0, part.rstrip("0"))
    return (1, int(part))


def _alpine_key(text: str) -> tuple[Any, ...]:
    match = _APK.fullmatch(text.strip())
    if match is None:
        raise ValueError("not digits{.digits}[letter]{_suffix[n]}[-rN]")
    first, rest, letter, suffixes, revision = match.groups()
    key: list[tuple[int, Any]] = [(_APK_DIGIT, (1, int(first)))]
    key.extend((_APK_DIGIT, _apk_component(part)) for part in rest.split(".")[1:])
    if letter:
        key.append((_APK_LETTER, letter))
    for name, number in _APK_SUFFIX.findall(suffixes):
        rank = _APK_SUFFIX_RANK[name]
        key.append((_APK_PRE_SUFFIX if rank < 0 else _APK_SUFFIX_KIND, rank))
        if number:
            key.append((_APK_SUFFIX_NUMBER, int(number)))
    if revision is not None:
        key.append((_APK_REVISION, int(revision)))
    key.append(_APK_END)
    return tuple(key)


# --- The ecosystems ---------------------------------------------------------------------------

# OSV ecosystem (before any ":suffix") -> the ordering its versions follow.
ORDERINGS: dict[str, str] = {
    "PyPI": "PyPI",
    "Go": "Go",
    "npm": "SemVer",
    "crates.io": "SemVer",
    "Hex": "SemVer",
    "SwiftURL": "SemVer",
    "SEMVER": "SemVer",
    "Maven": "Maven",
    "RubyGems": "RubyGems",
    "NuGet": "NuGet",
    "Packagist": "Packagist",
    "Debian": "Debian",
    "Ubuntu": "Debian",
    "Alpine": "Alpine",
}

_KEYS: dict[str, Callable[[str], Any]] = {
    "PyPI": _pypi_key,
    "Go": _semver_key,
    "SemVer": _semver_key,
    "Maven": _maven_key,
    "RubyGems": _rubygems_key,
    "NuGet": _nuget_key,
    "Packagist": _packagist_key,
    "Debian": _debian_key,
    "Alpine": _alpine_key,
}


@lru_cache(maxsize=1024)
def ecosystem_ordering(ecosystem: str) -> str:
    """The ordering an OSV ecosystem uses: 'Debian:12' -> 'Debian', 'npm' -> 'SemVer'."""
    ordering = ORDERINGS.get(ecosystem.split(":", 1)[0])
    if ordering is None:
        raise UnsupportedEcosystem(ecosystem)
    return ordering


@lru_cache(maxsize=1 << 18)
def parse_version(ecosystem: str, text: str) -> Version:
    """Parse `text` by the rules of `ecosystem` (an OSV ecosystem name, or 'SEMVER').

    Raises `InvalidVersion` when the text is not a version there, `UnsupportedEcosystem` when
    we have no ordering for the ecosystem.
    """
    ordering = ecosystem_ordering(ecosystem)
    if not isinstance(text, str) or not text:
        raise InvalidVersion(ecosystem, str(text), "empty")
    try:
        key = _KEYS[ordering](text)
    except (ValueError, OverflowError) as exc:
        raise InvalidVersion(ecosystem, text, str(exc)) from None
    return Version(ordering, text, key)


def compare(ecosystem: str, a: str | Version, b: str | Version) -> int:
    """-1, 0 or 1 as `a` sorts before, with, or after `b` in `ecosystem`."""
    left = a if isinstance(a, Version) else parse_version(ecosystem, a)
    right = b if isinstance(b, Version) else parse_version(ecosystem, b)
    if left < right:
        return -1
    return 1 if right < left else 0
