"""Mandatory tests on the document version, status and revision history (6.1.14 to 6.1.22, 6.1.30).

A CSAF version is either an integer ("3") or a semantic version ("1.2.0-rc.1+build"); the
revision history is read in date order, equal dates ordered by their number.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cmp_to_key
from itertools import pairwise
from typing import Any

import semver

from clearinghouse.formats.csaf.walk import Path, as_dict, enumerate_dicts

Violation = tuple[Path, str]

_INTEGER = re.compile(r"0|[1-9][0-9]*")
_TRACKING = ("document", "tracking")


@dataclass(frozen=True)
class Version:
    """A parsed CSAF version: `integer` set for integer versioning, `semantic` for semver."""

    text: str
    integer: int | None = None
    semantic: semver.Version | None = None

    @property
    def major(self) -> int:
        if self.semantic is not None:
            return int(self.semantic.major)
        return self.integer if self.integer is not None else -1

    @property
    def prerelease(self) -> str | None:
        return self.semantic.prerelease if self.semantic is not None else None

    def without_build(self) -> str:
        if self.semantic is None:
            return self.text
        return str(self.semantic.replace(build=None))

    def without_prerelease(self) -> str:
        if self.semantic is None:
            return self.text
        return str(self.semantic.replace(build=None, prerelease=None))

    def is_zero(self) -> bool:
        """Version 0 or 0.y.z: not yet released."""
        return self.major == 0


def parse_version(value: object) -> Version | None:
    if not isinstance(value, str):
        return None
    if _INTEGER.fullmatch(value):
        return Version(value, integer=int(value))
    try:
        return Version(value, semantic=semver.Version.parse(value))
    except ValueError:
        return None


def _compare(left: Version, right: Version) -> int:
    if left.integer is not None and right.integer is not None:
        return (left.integer > right.integer) - (left.integer < right.integer)
    if left.semantic is not None and right.semantic is not None:
        return int(left.semantic.compare(right.semantic))
    return 0  # mixed schemes are 6.1.30's to report


def _parse_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@dataclass(frozen=True)
class Revision:
    index: int
    date: datetime
    number: Version


def _tracking(doc: dict[str, Any]) -> dict[str, Any]:
    return as_dict(as_dict(doc.get("document")).get("tracking"))


def _revisions(doc: dict[str, Any]) -> list[Revision]:
    """The revision history items with a readable date and number, in array order."""
    revisions = []
    for index, item in enumerate_dicts(_tracking(doc).get("revision_history")):
        date, number = _parse_date(item.get("date")), parse_version(item.get("number"))
        if date is not None and number is not None:
            revisions.append(Revision(index, date, number))
    return revisions


def _by_date(revisions: list[Revision]) -> list[Revision]:
    def order(left: Revision, right: Revision) -> int:
        if left.date != right.date:
            return -1 if left.date < right.date else 1
        return _compare(left.number, right.number)

    return sorted(revisions, key=cmp_to_key(order))


def _number_path(revision: Revision) -> Path:
    return (*_TRACKING, "revision_history", revision.index, "number")


def _status(doc: dict[str, Any]) -> str:
    status = _tracking(doc).get("status")
    return status if isinstance(status, str) else ""


def unsorted_revision_history(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.14: sorted by date, the revision history's numbers ascend."""
    ordered = _by_date(_revisions(doc))
    for earlier, later in pairwise(ordered):
        if _compare(earlier.number, later.number) > 0:
            yield (
                _number_path(later),
                f"revision {later.number.text} dated {later.date.isoformat()} comes after "
                f"revision {earlier.number.text} by date but has a lower number",
            )


def latest_document_version(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.16: the document version is the number of the latest revision (build ignored)."""
    version = parse_version(_tracking(doc).get("version"))
    ordered = _by_date(_revisions(doc))
    if version is None or not ordered:
        return
    latest = ordered[-1].number
    if _status(doc) == "draft":
        matches = version.without_prerelease() == latest.without_prerelease()
    else:
        matches = version.without_build() == latest.without_build()
    if not matches:
        yield (
            (*_TRACKING, "version"),
            f"version {version.text} is not the latest revision's number ({latest.text})",
        )


def draft_status_required(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.17: a version 0, 0.y.z or with a pre-release part belongs to a draft."""
    version = parse_version(_tracking(doc).get("version"))
    status = _status(doc)
    if version is None or status in ("draft", ""):
        return
    if version.is_zero() or version.prerelease:
        yield (
            (*_TRACKING, "status"),
            f"status is {status!r} but version {version.text} is a draft version",
        )


def unreleased_revisions_in_released_document(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.18: a final or interim document has no revision numbered 0 or 0.y.z."""
    if _status(doc) not in ("final", "interim"):
        return
    for revision in _revisions(doc):
        if revision.number.is_zero():
            yield (
                _number_path(revision),
                f"revision {revision.number.text} is a draft number in a {_status(doc)} document",
            )


def prerelease_revisions(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.19: no revision number has a pre-release part."""
    for revision in _revisions(doc):
        if revision.number.prerelease:
            yield _number_path(revision), f"revision {revision.number.text} is a pre-release"


def prerelease_version_in_released_document(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.20: a final or interim document's version has no pre-release part."""
    version = parse_version(_tracking(doc).get("version"))
    if version is not None and version.prerelease and _status(doc) in ("final", "interim"):
        yield (
            (*_TRACKING, "version"),
            f"version {version.text} is a pre-release in a {_status(doc)} document",
        )


def missing_revisions(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.21: sorted by date, the (major) numbers start at 0 or 1 and skip none."""
    ordered = _by_date(_revisions(doc))
    if not ordered:
        return
    if ordered[0].number.major not in (0, 1):
        yield (
            _number_path(ordered[0]),
            f"the first revision is {ordered[0].number.text}, not 0 or 1",
        )
    for earlier, later in pairwise(ordered):
        if later.number.major > earlier.number.major + 1:
            missing = earlier.number.major + 1
            yield (
                _number_path(later),
                f"revision {later.number.text} follows {earlier.number.text}: {missing} is missing",
            )


def duplicate_revisions(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.22: no two revisions have the same number."""
    seen: set[str] = set()
    for revision in _revisions(doc):
        if revision.number.text in seen:
            yield _number_path(revision), f"revision number {revision.number.text} is used twice"
        seen.add(revision.number.text)


def mixed_versioning(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.30: the version and every revision number use the same scheme (integer or semantic)."""
    numbered: list[tuple[Path, Version]] = []
    version = parse_version(_tracking(doc).get("version"))
    if version is not None:
        numbered.append(((*_TRACKING, "version"), version))
    numbered += [(_number_path(revision), revision.number) for revision in _revisions(doc)]
    if not numbered:
        return
    integer = numbered[0][1].integer is not None
    for path, number in numbered[1:]:
        if (number.integer is not None) != integer:
            scheme = "integer" if integer else "semantic"
            yield path, f"{number.text} does not use {scheme} versioning like {numbered[0][1].text}"
