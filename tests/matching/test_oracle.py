"""The real advisories as an oracle for range evaluation.

PyPI records enumerate their affected releases in `versions`: each must lie in the record's
ranges when the list itself is ignored. And in PyPI and Go records alike, a range's `fixed`
version must fall outside that range. The few records that contradict themselves are listed
below with the reason; the list must stay exact (a stale entry fails too).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from clearinghouse.formats import load_osv_json, load_osv_yaml
from clearinghouse.matching import AffectedVersions

Check = tuple[str, str, str, str]  # record id, package, "listed" or "fixed", version

# Data errors in the source records, each checked by hand against the record.
KNOWN_DATA_ERRORS: dict[Check, str] = {
    **{
        ("PYSEC-2023-61", "django", "listed", pre): (
            "pre-release listed, but the ranges start at the final release "
            "(introduced 3.2 / 4.2) and PEP 440 puts 3.2a1 < 3.2"
        )
        for pre in ("3.2a1", "3.2b1", "3.2rc1", "4.2a1", "4.2b1", "4.2rc1")
    },
    **{
        ("PYSEC-2023-177", "gevent", "listed", version): (
            "listed from the GIT range's tags, but the ECOSYSTEM range says fixed: 23.9.0"
        )
        for version in ("23.9.0", "23.9.0.post1")
    },
    ("PYSEC-2021-114", "wagtail", "listed", "2.11.6"): (
        "the range's events overlap (introduced 2.11, fixed 2.11.7, introduced 0, "
        "fixed 2.11.6): sorted, as the schema evaluates them, fixed 2.11.6 closes the range"
    ),
    ("PYSEC-2022-236", "pyspark", "fixed", "3.1.1"): (
        "3.1.1 is both fixed and introduced in the same range (and listed as affected)"
    ),
    ("PYSEC-2023-72", "pyspark", "fixed", "3.1.1"): (
        "3.1.1 is both fixed and introduced in the same range (and listed as affected)"
    ),
}


def _records(shared_data: Path) -> Iterator[dict[str, Any]]:
    for path in sorted((shared_data / "osv" / "pypi").glob("**/*.yaml")):
        yield load_osv_yaml(path.read_bytes(), source=str(path))
    for path in sorted((shared_data / "osv" / "go").glob("*.json")):
        yield load_osv_json(path.read_bytes(), source=str(path))


def _has_version_ranges(affected: dict[str, Any]) -> bool:
    return any(r["type"] in ("ECOSYSTEM", "SEMVER") for r in affected.get("ranges", ()))


def _oracle_checks(record: dict[str, Any]) -> Iterator[tuple[Check, bool]]:
    """Every check the oracle makes on one record, with whether it held."""
    for affected in record.get("affected", ()):
        name = affected["package"]["name"]
        # Entries with no version range (e.g. malware: one listed release) have nothing
        # to check the list against.
        if not _has_version_ranges(affected):
            continue
        ranges = AffectedVersions.from_osv(affected)
        for version in affected.get("versions", ()):
            held = ranges.contains(version, use_versions_list=False)
            yield (record["id"], name, "listed", version), held
        for osv_range in affected.get("ranges", ()):
            if osv_range["type"] not in ("ECOSYSTEM", "SEMVER"):
                continue
            alone = AffectedVersions.from_osv({**affected, "ranges": [osv_range], "versions": []})
            for event in osv_range["events"]:
                if "fixed" in event:
                    held = not alone.contains(event["fixed"], use_versions_list=False)
                    yield (record["id"], name, "fixed", event["fixed"]), held


@pytest.fixture(scope="module")
def oracle(shared_data: Path) -> dict[str, Any]:
    checks = 0
    records = 0
    failures: list[Check] = []
    listed = 0
    for record in _records(shared_data):
        records += 1
        for check, held in _oracle_checks(record):
            checks += 1
            listed += check[2] == "listed"
            if not held:
                failures.append(check)
    return {"records": records, "checks": checks, "listed": listed, "failures": failures}


def test_every_record_was_read(oracle: dict[str, Any]) -> None:
    # ~2,500 PyPI and ~4,000 Go records in the shared data.
    assert oracle["records"] > 6000
    assert oracle["listed"] > 100_000
    assert oracle["checks"] > oracle["listed"]


def test_listed_versions_match_and_fixed_versions_do_not(oracle: dict[str, Any]) -> None:
    unexpected = [check for check in oracle["failures"] if check not in KNOWN_DATA_ERRORS]
    passed = oracle["checks"] - len(oracle["failures"])
    rate = passed / oracle["checks"]
    assert not unexpected, f"{len(unexpected)} checks failed (pass rate {rate:.4%}): {unexpected}"


def test_known_data_errors_are_still_errors(oracle: dict[str, Any]) -> None:
    stale = set(KNOWN_DATA_ERRORS) - set(oracle["failures"])
    assert not stale, f"these allow-list entries now pass; remove them: {sorted(stale)}"


def test_a_record_with_overlapping_events_is_evaluated_sorted() -> None:
    # The wagtail record above, reduced: sorting the events is what the schema asks.
    affected = {
        "package": {"ecosystem": "PyPI", "name": "wagtail"},
        "ranges": [
            {
                "type": "ECOSYSTEM",
                "events": [
                    {"introduced": "2.11"},
                    {"fixed": "2.11.7"},
                    {"introduced": "0"},
                    {"fixed": "2.11.6"},
                ],
            }
        ],
    }
    ranges = AffectedVersions.from_osv(affected)
    assert ranges.contains("2.11.5")
    assert not ranges.contains("2.11.6")
    assert not ranges.contains("2.11.7")
