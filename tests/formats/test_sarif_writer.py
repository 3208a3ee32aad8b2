"""SARIF 2.1.0 logs of scan reports: valid against the OASIS schema, and what GitHub reads.

Reports are built from real records (scan_samples.py); every log written here is validated
against the vendored official schema with two validators (jsonschema-rs, as the readers do,
and the `jsonschema` reference implementation).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs
import orjson
import pytest
from scan_samples import clean_report, sample_report

from clearinghouse.formats.sarif import (
    SARIF_SCHEMA_URI,
    dump_sarif,
    sarif_level,
    scan_to_sarif,
    security_severity,
)
from clearinghouse.matching.findings import ScanReport, Severity

SCHEMA_BYTES = (
    files("clearinghouse.formats").joinpath("schemas/sarif-schema-2.1.0.json").read_bytes()
)
SCHEMA = orjson.loads(SCHEMA_BYTES)
# The OASIS file as vendored (oasis-tcs/sarif-spec Schemata/sarif-schema-2.1.0.json @ 0a8091f7).
SCHEMA_SHA256 = "ddddcccbf95c7c50c037b5b07eff4140556278ca574ff374db46786b5fce7949"
RS_VALIDATOR = jsonschema_rs.Draft4Validator(SCHEMA, validate_formats=True)
PY_VALIDATOR = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.FormatChecker())

ARTIFACT = "deploy/sbom.cdx.json"


def schema_errors(log: dict[str, Any]) -> list[str]:
    errors = [f"{list(e.instance_path)}: {e.message}" for e in RS_VALIDATOR.iter_errors(log)]
    errors += [f"{list(e.absolute_path)}: {e.message}" for e in PY_VALIDATOR.iter_errors(log)]
    return errors


@pytest.fixture(scope="module")
def report(shared_data: Path) -> ScanReport:
    return sample_report(shared_data)


@pytest.fixture(scope="module")
def log(report: ScanReport) -> dict[str, Any]:
    return scan_to_sarif(report, artifact=ARTIFACT)


def _results(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["ruleId"]: r for r in log["runs"][0]["results"]}


def _rules(log: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}


def test_vendored_schema_is_the_oasis_text() -> None:
    assert hashlib.sha256(SCHEMA_BYTES).hexdigest() == SCHEMA_SHA256
    assert SCHEMA["id"] == SARIF_SCHEMA_URI
    jsonschema.Draft4Validator.check_schema(SCHEMA)


def test_the_schema_check_can_fail(log: dict[str, Any]) -> None:
    broken = orjson.loads(orjson.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(schema_errors(broken)) >= 4  # two per fault, one from each validator


def test_log_is_valid_sarif(log: dict[str, Any]) -> None:
    assert schema_errors(log) == []
    assert log["version"] == "2.1.0" and log["$schema"] == SARIF_SCHEMA_URI


def test_log_matches_golden_file(golden, log: dict[str, Any]) -> None:
    golden("sarif/shop-backend", log)


def test_one_run_with_the_clearinghouse_driver(log: dict[str, Any]) -> None:
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "clearinghouse"
    assert driver["version"]
    assert run["invocations"][0]["endTimeUtc"] == "2026-01-02T03:04:05Z"
    assert run["artifacts"] == [{"location": {"uri": ARTIFACT}, "roles": ["analysisTarget"]}]


def test_one_rule_per_group_and_one_result_per_finding(report: ScanReport, log: dict) -> None:
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    results = log["runs"][0]["results"]
    assert len(results) == len(report.findings) == 8
    assert sorted(r["id"] for r in rules) == sorted(f.primary_id for f in report.findings)
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_a_group_in_two_components_is_one_rule_two_results(report: ScanReport) -> None:
    werkzeug = next(f for f in report.findings if f.primary_id == "CVE-2023-46136")
    other = replace(werkzeug, component=replace(werkzeug.component, version="2.3.6"))
    log = scan_to_sarif(replace(report, findings=(*report.findings, other)), artifact=ARTIFACT)
    assert schema_errors(log) == []
    results = [r for r in log["runs"][0]["results"] if r["ruleId"] == "CVE-2023-46136"]
    assert len(results) == 2
    assert len(_rules(log)) == 8
    prints = {r["partialFingerprints"]["primaryLocationLineHash"] for r in results}
    assert len(prints) == 2  # GitHub must not merge the two into one alert


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.CRITICAL, "error"),
        (Severity.HIGH, "error"),
        (Severity.MEDIUM, "warning"),
        (Severity.LOW, "note"),
        (Severity.UNKNOWN, "note"),
    ],
)
def test_level_from_severity(severity: Severity, level: str) -> None:
    assert sarif_level(severity) == level


def test_levels_and_security_severity_in_the_log(log: dict[str, Any]) -> None:
    results, rules = _results(log), _rules(log)
    expected = {
        "CVE-2020-13921": ("error", "9.8"),  # critical
        "CVE-2023-46136": ("error", "7.5"),  # high
        "CVE-2023-49081": ("warning", "5.3"),  # medium
        "CVE-2023-3674": ("note", "2.8"),  # low
        "CVE-2020-28493": ("note", None),  # no score in the record
    }
    for rule_id, (level, score) in expected.items():
        assert results[rule_id]["level"] == level
        assert rules[rule_id]["defaultConfiguration"]["level"] == level
        assert rules[rule_id]["properties"].get("security-severity") == score
        assert "security" in rules[rule_id]["properties"]["tags"]


def test_security_severity_without_a_score_stays_in_the_band() -> None:
    assert security_severity(Severity.CRITICAL, None) == "9.5"
    assert security_severity(Severity.HIGH, None) == "8.0"
    assert security_severity(Severity.MEDIUM, None) == "5.5"
    assert security_severity(Severity.LOW, None) == "2.0"
    assert security_severity(Severity.UNKNOWN, None) is None
    assert security_severity(Severity.UNKNOWN, 7.25) == "7.2"


def test_rules_carry_help_and_help_uri(log: dict[str, Any]) -> None:
    rule = _rules(log)["CVE-2020-28493"]
    assert rule["helpUri"] == "https://osv.dev/vulnerability/CVE-2020-28493"
    assert "Upgrade jinja2 2.10 to 2.11.3 or later." in rule["help"]["text"]
    assert "GHSA-g3rq-g295-4j3m" in rule["help"]["text"]
    assert rule["shortDescription"]["text"]
    kev = _rules(log)["CVE-2020-11651"]
    assert "remediation due 2022-05-03" in kev["help"]["text"]
    assert "known-exploited" in kev["properties"]["tags"]


def test_locations_point_at_the_file_and_the_component(log: dict[str, Any]) -> None:
    location = _results(log)["CVE-2020-36567"]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == ARTIFACT
    assert location["physicalLocation"]["region"] == {"startLine": 1}
    assert location["logicalLocations"] == [
        {
            "name": "github.com/gin-gonic/gin@1.5.0",
            "fullyQualifiedName": "components[6]",
            "decoratedName": "pkg:golang/github.com/gin-gonic/gin@v1.5.0",
            "kind": "module",
        }
    ]


@pytest.mark.parametrize(
    ("artifact", "uri"),
    [
        ("sbom.json", "sbom.json"),
        ("./deploy/my sbom.json", "deploy/my%20sbom.json"),
        ("/srv/app/bom.xml", "file:///srv/app/bom.xml"),
        ("C:\\builds\\bom.json", "file:///C:/builds/bom.json"),
    ],
)
def test_artifact_uris(report: ScanReport, artifact: str, uri: str) -> None:
    log = scan_to_sarif(report, artifact=artifact)
    assert log["runs"][0]["artifacts"][0]["location"]["uri"] == uri
    assert schema_errors(log) == []


def test_vex_suppressed_finding_has_an_external_suppression(log: dict[str, Any]) -> None:
    results = _results(log)
    (suppression,) = results["CVE-2020-36567"]["suppressions"]
    assert suppression["kind"] == "external"
    assert suppression["status"] == "accepted"
    assert suppression["justification"].startswith("not_affected; code_not_reachable; ")
    assert all("suppressions" not in r for k, r in results.items() if k != "CVE-2020-36567")


def test_skipped_components_become_notifications(log: dict[str, Any]) -> None:
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    texts = [n["message"]["text"] for n in notes]
    assert "internal-billing was not checked: no version" in texts
    assert any(t.startswith("left-pad 1.3.0 was not checked: purl type 'generic'") for t in texts)
    assert "metadata.timestamp is missing" in texts


def test_a_clean_scan_is_a_valid_empty_run(shared_data: Path) -> None:
    log = scan_to_sarif(clean_report(shared_data), artifact="requirements.txt")
    assert schema_errors(log) == []
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["tool"]["driver"]["rules"] == []


def test_hostile_text_stays_text(report: ScanReport) -> None:
    finding = report.findings[0]
    hostile = replace(
        finding,
        summary="[click](javascript:alert(1)) <img src=x onerror=alert(1)> **bold** `code`",
        references=("javascript:alert(1)", "https://ok.example/a b", "https://ok.example/x"),
    )
    log = scan_to_sarif(replace(report, findings=(hostile,)), artifact=ARTIFACT)
    assert schema_errors(log) == []
    (rule,) = log["runs"][0]["tool"]["driver"]["rules"]
    markdown = rule["help"]["markdown"]
    assert "\\[click\\](javascript:alert(1))" in markdown
    assert "\\<img src=x onerror=alert(1)\\>" in markdown
    assert "javascript:" not in markdown.split("References:")[1]
    assert "<https://ok.example/x>" in markdown and "a b" not in markdown


def test_output_is_deterministic(report: ScanReport, log: dict[str, Any]) -> None:
    assert scan_to_sarif(report, artifact=ARTIFACT) == log
    assert orjson.loads(dump_sarif(report, artifact=ARTIFACT)) == log
