"""The OASIS CSAF 2.0 validator test suite (`testcases.json`), one test case per file.

A file marked valid passes the schema and every mandatory test with no failure at all; a file
marked invalid fails, and among its failures is the test it is listed under. The optional
(6.2) and informative (6.3) files are all valid CSAF documents, so they must pass too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from csaf_data import SUITE

from clearinghouse.formats.csaf import load_csaf, validate_csaf

# Files the suite marks valid that break a mandatory test of the standard itself; each is
# checked to fail exactly that test, so a change of behaviour shows up here.
INCONSISTENT_WITH_STANDARD = {
    "optional/oasis_csaf_tc-csaf_2_0-2021-6-2-08-02.json": (
        "6.1.25",
        "lists two md5 hashes for one file to show 6.2.8; 6.1.25 forbids one algorithm twice "
        "in one file_hashes (the suite's own 6.1.25-01 fails for two sha256)",
    ),
    "optional/oasis_csaf_tc-csaf_2_0-2021-6-2-09-02.json": (
        "6.1.25",
        "lists two sha1 hashes for one file to show 6.2.9; same conflict with 6.1.25",
    ),
}


def _cases() -> list[tuple[str, str, bool]]:
    """(test id, file name, valid) for every file of testcases.json."""
    if not (SUITE / "testcases.json").is_file():
        return []
    listed = json.loads((SUITE / "testcases.json").read_text(encoding="utf-8"))
    return [
        (test["id"], case["name"], bool(case["valid"]))
        for test in listed["tests"]
        for kind in ("failures", "valid")
        for case in test.get(kind, [])
    ]


CASES = _cases()
VALID = [(test_id, name) for test_id, name, valid in CASES if valid]
INVALID = [(test_id, name) for test_id, name, valid in CASES if not valid]


def test_the_suite_is_there_and_complete() -> None:
    assert (SUITE / "testcases.json").is_file(), f"missing: {SUITE}"
    mandatory = {test_id for test_id, _, _ in CASES if test_id.startswith("6.1.")}
    from clearinghouse.formats.csaf import MANDATORY_TESTS

    assert mandatory == set(MANDATORY_TESTS)
    # Every mandatory test has at least one failing file.
    assert {test_id for test_id, _ in INVALID} == mandatory
    assert (len(VALID), len(INVALID)) == (152, 87)


@pytest.mark.parametrize(("test_id", "name"), VALID, ids=[name for _, name in VALID])
def test_valid_file_passes(test_id: str, name: str) -> None:
    report = validate_csaf(load_csaf((SUITE / name).read_bytes()))
    if name in INCONSISTENT_WITH_STANDARD:
        expected, _reason = INCONSISTENT_WITH_STANDARD[name]
        assert report.failed_tests == {expected}, [str(f) for f in report.failures]
        return
    assert report.valid, f"{test_id}: {[str(f) for f in report.failures]}"


@pytest.mark.parametrize(("test_id", "name"), INVALID, ids=[name for _, name in INVALID])
def test_invalid_file_fails_its_test(test_id: str, name: str) -> None:
    report = validate_csaf(load_csaf((SUITE / name).read_bytes()))
    assert test_id in report.failed_tests, f"{test_id}: {[str(f) for f in report.failures]}"
    ours = [failure for failure in report.failures if failure.test_id == test_id]
    assert all(failure.path.startswith("/") and failure.message for failure in ours)


def test_suite_score(capsys: pytest.CaptureFixture[str]) -> None:
    """Prints the figures of the whole suite (valid passed / total, invalid caught / total)."""
    valid_passed = sum(
        validate_csaf(load_csaf((SUITE / name).read_bytes())).valid
        or name in INCONSISTENT_WITH_STANDARD
        for _, name in VALID
    )
    invalid_caught = sum(
        test_id in validate_csaf(load_csaf((SUITE / name).read_bytes())).failed_tests
        for test_id, name in INVALID
    )
    with capsys.disabled():
        print(
            f"\nCSAF suite: valid passed {valid_passed}/{len(VALID)} "
            f"({len(INCONSISTENT_WITH_STANDARD)} allow-listed), "
            f"invalid failed for their test {invalid_caught}/{len(INVALID)}"
        )
    assert (valid_passed, invalid_caught) == (len(VALID), len(INVALID))


def test_listed_files_exist() -> None:
    missing = [name for _, name, _ in CASES if not Path(SUITE / name).is_file()]
    assert missing == []
