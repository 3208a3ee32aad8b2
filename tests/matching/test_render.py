"""The scan report for programs (JSON), for people (the terminal table) and for CI (exit code).

Reports are built from real records (tests/formats/scan_samples.py). The JSON shape is pinned
by a golden file under tests/formats/golden/scan/; rewrite it with
`pytest tests/formats tests/matching/test_render.py --update-golden` and review the diff.
"""

from __future__ import annotations

import difflib
import io
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from clearinghouse.formats.components import SbomDocument
from clearinghouse.matching.findings import Finding, ScanReport, Severity
from clearinghouse.matching.render import (
    FAIL_ON_CHOICES,
    UnknownThreshold,
    exit_code,
    fail_threshold,
    plain,
    print_report,
    report_as_json,
    timestamp,
)
from formats.scan_samples import SCANNED_AT, clean_report, sample_report

GOLDEN = Path(__file__).parents[1] / "formats" / "golden" / "scan"


@pytest.fixture(scope="module")
def report(shared_data: Path) -> ScanReport:
    return sample_report(shared_data)


def _golden(request: pytest.FixtureRequest, name: str, value: Any) -> None:
    # The same file format as tests/formats/conftest.py's `golden` fixture, which only the
    # tests under tests/formats can take.
    path = GOLDEN / f"{name}.json"
    actual = orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode() + "\n"
    if request.config.getoption("--update-golden", default=False):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; run with --update-golden (see the docstring)"
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True), actual.splitlines(keepends=True)
            )
        )
        pytest.fail(f"report_as_json differs from golden/scan/{name}.json:\n{diff}")


def _printed(report: ScanReport, width: int = 200) -> str:
    # No terminal, no colour: any escape sequence in the output came from the data.
    buffer = io.StringIO()
    print_report(report, Console(file=buffer, width=width, color_system=None))
    return buffer.getvalue()


# --- JSON ---------------------------------------------------------------------------------


def test_json_matches_the_golden_file(request: pytest.FixtureRequest, report: ScanReport) -> None:
    _golden(request, "shop-backend", report_as_json(report))


def test_json_keeps_every_finding_and_every_skipped_component(report: ScanReport) -> None:
    doc = report_as_json(report)
    assert doc["schema"] == "clearinghouse-scan/1"
    assert doc["scanned_at"] == "2026-01-02T03:04:05Z"
    assert doc["document"]["declared"] == 9
    assert doc["document"]["checked"] == 7
    assert [s["reason"] for s in doc["document"]["skipped"]] == [
        "no version",
        "purl type 'generic' maps to no ecosystem the matcher supports",
    ]
    assert len(doc["findings"]) == 8
    assert doc["counts"] == {
        "critical": 1,
        "high": 1,
        "medium": 1,
        "low": 1,
        "unknown": 3,
        "active": 7,
        "suppressed": 1,
    }
    severities = [f["severity"] for f in doc["findings"] if not f["suppressed"]]
    assert severities == ["critical", "high", "medium", "low", "unknown", "unknown", "unknown"]


def test_json_finding_fields_come_from_the_records(report: ScanReport) -> None:
    by_id = {f["id"]: f for f in report_as_json(report)["findings"]}
    werkzeug = by_id["CVE-2023-46136"]
    assert werkzeug["aliases"] == ["CVE-2023-46136", "GHSA-hrfv-mqp8-q5rw", "PYSEC-2023-221"]
    assert werkzeug["records"] == ["PYSEC-2023-221"]
    assert (werkzeug["severity"], werkzeug["score"]) == ("high", 7.5)
    assert werkzeug["fixed_version"] == "2.3.8"
    assert werkzeug["component"]["purl"] == "pkg:pypi/werkzeug@2.3.7"
    assert werkzeug["vex"] is None and werkzeug["suppressed"] is False

    salt = by_id["CVE-2020-11651"]  # in CISA's KEV catalog
    assert (salt["known_exploited"], salt["kev_due_date"]) == (True, "2022-05-03")

    gin = by_id["CVE-2020-36567"]
    assert gin["suppressed"] is True
    assert gin["vex"]["state"] == "not_affected"
    assert gin["vex"]["justification"] == "code_not_reachable"

    skywalking = by_id["CVE-2020-13921"]
    assert skywalking["fixed_version"] is None


def test_json_advice_per_component(report: ScanReport) -> None:
    advice = {a["component"]["name"]: a for a in report_as_json(report)["advice"]}
    assert (advice["jinja2"]["finding_count"], advice["jinja2"]["upgrade_to"]) == (2, "2.11.3")
    assert advice["apache-skywalking"]["upgrade_to"] is None
    assert advice["github.com/gin-gonic/gin"]["finding_count"] == 0


def test_json_of_a_clean_scan(shared_data: Path) -> None:
    doc = report_as_json(clean_report(shared_data))
    assert doc["findings"] == [] and doc["advice"] == []
    assert doc["counts"]["active"] == 0
    assert doc["document"]["version"] is None


def test_timestamps_are_utc_with_z() -> None:
    assert timestamp(datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05Z"
    east = timezone(timedelta(hours=2))
    assert timestamp(datetime(2026, 1, 2, 5, 4, 5, tzinfo=east)) == "2026-01-02T03:04:05Z"
    assert timestamp(SCANNED_AT.replace(microsecond=5)) == "2026-01-02T03:04:05.000005Z"


# --- terminal -----------------------------------------------------------------------------


def test_table_groups_active_findings_by_severity_highest_first(report: ScanReport) -> None:
    text = _printed(report)
    cells = ("critical 9.8", "high 7.5", "medium 5.3", "low 2.8", "unknown")
    order = [re.search(rf"^\s*{cell}", text, re.MULTILINE).start() for cell in cells]
    assert order == sorted(order)
    assert "7 findings: 1 critical, 1 high, 1 medium, 1 low, 3 unknown; 1 suppressed" in text
    assert "KEV, due 2022-05-03" in text.split("Fix advice")[0]


def test_fix_advice_one_line_per_component(report: ScanReport) -> None:
    text = _printed(report)
    assert "upgrade jinja2 2.10 -> 2.11.3 fixes 2 findings" in text
    assert "upgrade werkzeug 2.3.7 -> 2.3.8 fixes 1 finding\n" in text
    assert "apache-skywalking 0.3.0: no single fixed version is known for its 1 finding" in text
    assert (
        "github.com/gin-gonic/gin 1.5.0" not in text.split("Fix advice")[1].split("Suppressed")[0]
    )


def test_suppressed_findings_leave_the_table_with_their_justification(report: ScanReport) -> None:
    text = _printed(report)
    table, rest = text.split("Fix advice")
    assert "CVE-2020-36567" not in table
    assert (
        "CVE-2020-36567 in github.com/gin-gonic/gin 1.5.0: not_affected (code_not_reachable): "
        "The Logger middleware is not used" in rest
    )


def test_skipped_components_are_listed_with_reasons(report: ScanReport) -> None:
    text = _printed(report)
    assert "Not checked (2)" in text
    assert "internal-billing (components[7]): no version" in text
    assert "left-pad 1.3.0 (components[8]): purl type 'generic' maps to no ecosystem" in text
    assert "warning: metadata.timestamp is missing" in text


def test_a_clean_scan_says_so(shared_data: Path) -> None:
    text = _printed(clean_report(shared_data))
    assert "No known vulnerabilities in the 6 components checked." in text
    assert "Fix advice" not in text and "Not checked" not in text


def test_an_80_column_terminal_shows_every_id_and_fix_whole(report: ScanReport) -> None:
    text = _printed(report, width=80)
    assert "summary" not in text.split("\n")[3]  # the header: no room for summaries
    for finding in report.active:
        assert finding.primary_id in text
        assert (finding.fixed_version or "none") in text


def test_hostile_text_cannot_drive_the_terminal(report: ScanReport) -> None:
    finding = report.findings[0]
    hostile = replace(
        finding,
        summary="\x1b]0;owned\x07\x1b[2J [bold red]fake[/] \u202eevil\u202c",
        component=replace(finding.component, name="pkg\x1b[31m"),
    )
    text = _printed(replace(report, findings=(hostile, *report.findings[1:])))
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "[bold red]fake[/]" in text  # shown as written, not taken as markup


@given(st.text())
def test_plain_leaves_no_control_or_format_characters(text: str) -> None:
    cleaned = plain(text, limit=50)
    assert len(cleaned) <= 50
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in cleaned)


# --- exit code ----------------------------------------------------------------------------


def _report_with(*findings: Finding) -> ScanReport:
    return ScanReport(
        document=SbomDocument(format="test", format_version=None, encoding="json"),
        findings=findings,
        advice=(),
        scanned_at=datetime.now(UTC),
    )


@pytest.fixture(scope="module")
def medium_and_suppressed_critical(report: ScanReport) -> ScanReport:
    """An active medium finding, and a critical one that the SBOM's VEX rules out."""
    by_id = {f.primary_id: f for f in report.findings}
    critical = replace(by_id["CVE-2020-13921"], vex=by_id["CVE-2020-36567"].vex)
    assert critical.suppressed and critical.severity is Severity.CRITICAL
    return _report_with(by_id["CVE-2023-49081"], critical)


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        (None, 0),
        ("none", 0),
        ("critical", 0),  # the critical finding is suppressed
        ("high", 0),
        ("medium", 1),
        ("MEDIUM", 1),
        (" low ", 1),
        ("unknown", 1),  # unknown: any active finding
    ],
)
def test_exit_code_counts_active_findings_at_or_above_the_threshold(
    medium_and_suppressed_critical: ScanReport, fail_on: str | None, expected: int
) -> None:
    assert exit_code(medium_and_suppressed_critical, fail_on) == expected


def test_exit_code_of_a_clean_scan_is_zero(shared_data: Path) -> None:
    clean = clean_report(shared_data)
    assert all(exit_code(clean, choice) == 0 for choice in FAIL_ON_CHOICES)


def test_unknown_threshold_is_refused_with_the_choices() -> None:
    with pytest.raises(UnknownThreshold) as raised:
        exit_code(None, "severe")
    message = str(raised.value)
    assert "'severe'" in message
    assert "critical, high, medium, low, unknown, none" in message
    with pytest.raises(UnknownThreshold):
        fail_threshold("")


def test_threshold_check_without_a_report() -> None:
    assert exit_code(None, "critical") == 0
    assert fail_threshold("High") is Severity.HIGH
    assert fail_threshold(None) is None and fail_threshold("None") is None
