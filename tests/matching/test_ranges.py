"""OSV range evaluation: each event kind, limits, the versions list, records and fixes."""

from __future__ import annotations

from typing import Any

import pytest

from clearinghouse.matching import (
    InvalidVersion,
    affected_by,
    fixed_versions,
    nearest_fix,
    record_affects,
)


def _entry(ecosystem: str, *events: dict[str, str], kind: str = "ECOSYSTEM", **extra: Any) -> dict:
    return {
        "package": {"ecosystem": ecosystem, "name": "pkg"},
        "ranges": [{"type": kind, "events": list(events)}],
        **extra,
    }


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.0.1", True), ("1.0.1", True), ("1.0.2", False), ("2.9", False), ("3.0.0", True)],
)
def test_introduced_and_fixed(version: str, expected: bool) -> None:
    entry = _entry("PyPI", {"introduced": "0"}, {"fixed": "1.0.2"}, {"introduced": "3.0.0"})
    assert affected_by(entry, version) is expected


def test_last_affected_is_inclusive() -> None:
    entry = _entry("npm", {"introduced": "1.0.0"}, {"last_affected": "1.4.2"}, kind="SEMVER")
    assert affected_by(entry, "1.4.2")
    assert not affected_by(entry, "1.4.3")
    assert not affected_by(entry, "0.9.9")


def test_limit_caps_the_range() -> None:
    entry = _entry("Go", {"introduced": "0"}, {"limit": "1.5.0"}, kind="SEMVER")
    assert affected_by(entry, "v1.4.9")
    assert not affected_by(entry, "v1.5.0")
    # A "*" limit is infinity; several limits: below any of them.
    assert affected_by(_entry("Go", {"introduced": "1.0.0"}, {"limit": "*"}), "9.0.0")
    several = _entry("npm", {"introduced": "0"}, {"limit": "1.0.0"}, {"limit": "3.0.0"})
    assert affected_by(several, "2.0.0")
    assert not affected_by(several, "3.0.0")


def test_events_are_sorted_before_evaluation() -> None:
    unsorted = _entry("npm", {"fixed": "2.0.0"}, {"introduced": "1.0.0"}, kind="SEMVER")
    assert affected_by(unsorted, "1.5.0")
    assert not affected_by(unsorted, "2.0.0")


def test_git_ranges_are_ignored_and_ranges_are_ored() -> None:
    entry = {
        "package": {"ecosystem": "PyPI", "name": "pkg"},
        "ranges": [
            {"type": "GIT", "repo": "https://x", "events": [{"introduced": "0"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"fixed": "1.1"}]},
            {"type": "ECOSYSTEM", "events": [{"introduced": "2.0"}, {"fixed": "2.1"}]},
        ],
    }
    assert affected_by(entry, "2.0.5")
    assert not affected_by(entry, "1.5")


def test_versions_list_matches_unless_told_not_to() -> None:
    entry = _entry("PyPI", {"introduced": "1.0"}, {"fixed": "1.1"}, versions=["0.5", "1.0"])
    assert affected_by(entry, "0.5")
    assert affected_by(entry, "0.5.0")  # the same PEP 440 version written otherwise
    assert not affected_by(entry, "0.5", use_versions_list=False)


def test_a_semver_range_of_a_pypi_package_is_ordered_by_semver() -> None:
    entry = _entry("PyPI", {"introduced": "1.0.0"}, {"fixed": "1.2.0"}, kind="SEMVER")
    assert affected_by(entry, "1.1.0")
    assert not affected_by(entry, "1.1.post1")  # not SemVer: outside every SemVer range


def test_an_unreadable_event_version_sorts_above_everything() -> None:
    # As OSV.dev: an unreadable fixed closes nothing, an unreadable introduced opens nothing.
    assert affected_by(_entry("npm", {"introduced": "0"}, {"fixed": "n/a"}), "99.0.0")
    assert not affected_by(_entry("npm", {"introduced": "soon"}), "99.0.0")


def test_the_version_asked_about_must_parse() -> None:
    with pytest.raises(InvalidVersion):
        affected_by(_entry("npm", {"introduced": "0"}), "not-a-version")


RECORD = {
    "id": "TEST-1",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "Django"},
            "ranges": [
                {
                    "type": "ECOSYSTEM",
                    "events": [
                        {"introduced": "3.2"},
                        {"fixed": "3.2.19"},
                        {"introduced": "4.0"},
                        {"fixed": "4.1.9"},
                    ],
                }
            ],
        },
        {
            "package": {"ecosystem": "Debian:12", "name": "python-django"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3:3.2.19-1"}]}
            ],
        },
    ],
}


def test_record_affects_compares_names_as_the_ecosystem_does() -> None:
    assert record_affects(RECORD, "PyPI", "django", "3.2.18")
    assert record_affects(RECORD, "PyPI", "DJANGO", "4.0")
    assert not record_affects(RECORD, "PyPI", "django", "3.2.19")
    assert not record_affects(RECORD, "npm", "django", "3.2.18")
    assert not record_affects(RECORD, "PyPI", "flask", "3.2.18")


def test_record_affects_matches_a_release_only_when_asked_for_one() -> None:
    assert record_affects(RECORD, "Debian", "python-django", "3:3.2.18-1")
    assert record_affects(RECORD, "Debian:12", "python-django", "3:3.2.18-1")
    assert not record_affects(RECORD, "Debian:11", "python-django", "3:3.2.18-1")


def test_fixed_versions_are_sorted_by_the_ecosystem() -> None:
    entry = _entry(
        "PyPI", {"introduced": "4.0"}, {"fixed": "4.1.10"}, {"introduced": "0"}, {"fixed": "4.1.9"}
    )
    assert fixed_versions(entry) == ["4.1.9", "4.1.10"]
    assert fixed_versions(RECORD["affected"][0]) == ["3.2.19", "4.1.9"]


def test_nearest_fix_is_the_lowest_unaffected_fix_above() -> None:
    entries = RECORD["affected"][:1]
    assert nearest_fix(entries, "3.2.1") == "3.2.19"
    assert nearest_fix(entries, "4.0.2") == "4.1.9"
    assert nearest_fix(entries, "4.1.9") is None  # nothing above it


def test_nearest_fix_skips_a_fix_another_advisory_still_affects() -> None:
    first = _entry("PyPI", {"introduced": "0"}, {"fixed": "1.2"})
    second = _entry("PyPI", {"introduced": "1.1"}, {"fixed": "1.3"})
    assert nearest_fix([first, second], "1.0") == "1.3"
    assert nearest_fix([first], "1.0") == "1.2"
    assert nearest_fix([], "1.0") is None
