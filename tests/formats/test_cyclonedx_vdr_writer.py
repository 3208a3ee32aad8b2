"""CycloneDX 1.6 VDRs of scan reports: valid by the library's strict validators, and complete.

Reports are built from real records (scan_samples.py). JSON is checked with
cyclonedx-python-lib's JsonStrictValidator (no unknown properties), XML with its XSD
validator, and the JSON is read back with the library's own deserialiser.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.model.bom import Bom
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.validation.xml import XmlValidator
from defusedxml import ElementTree
from scan_samples import clean_report, sample_report

from clearinghouse.formats.components import VexStatement
from clearinghouse.formats.cyclonedx_vdr import scan_to_vdr
from clearinghouse.matching.findings import ScanReport

JSON_VALIDATOR = JsonStrictValidator(SchemaVersion.V1_6)
XML_VALIDATOR = XmlValidator(SchemaVersion.V1_6)
NS = {"cdx": "http://cyclonedx.org/schema/bom/1.6"}


@pytest.fixture(scope="module")
def report(shared_data: Path) -> ScanReport:
    return sample_report(shared_data)


@pytest.fixture(scope="module")
def vdr_text(report: ScanReport) -> str:
    return scan_to_vdr(report)


@pytest.fixture(scope="module")
def vdr(vdr_text: str) -> dict[str, Any]:
    return json.loads(vdr_text)


def _vulnerabilities(vdr: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(v["id"], v["affects"][0]["ref"]): v for v in vdr["vulnerabilities"]}


def test_json_is_valid_cyclonedx_1_6(vdr_text: str) -> None:
    assert JSON_VALIDATOR.validate_str(vdr_text) is None


def test_the_validator_can_fail(vdr: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(vdr))
    broken["vulnerabilities"][0]["ratings"] = [{"severity": "catastrophic"}]
    assert JSON_VALIDATOR.validate_str(json.dumps(broken)) is not None


def test_xml_is_valid_cyclonedx_1_6(report: ScanReport) -> None:
    text = scan_to_vdr(report, encoding="xml")
    assert XML_VALIDATOR.validate_str(text) is None
    root = ElementTree.fromstring(text.encode())
    assert len(root.findall("cdx:vulnerabilities/cdx:vulnerability", NS)) == 8


def test_vdr_matches_golden_file(golden, vdr: dict[str, Any]) -> None:
    golden("cyclonedx-vdr/shop-backend", vdr)


def test_the_library_reads_it_back(vdr: dict[str, Any]) -> None:
    bom = Bom.from_json(vdr)  # type: ignore[attr-defined]
    assert len(bom.vulnerabilities) == 8
    assert {c.name for c in bom.components} >= {"jinja2", "salt", "github.com/gin-gonic/gin"}


def test_metadata(vdr: dict[str, Any]) -> None:
    assert vdr["specVersion"] == "1.6"
    assert vdr["metadata"]["timestamp"] == "2026-01-02T03:04:05+00:00"
    assert vdr["metadata"]["component"]["name"] == "shop-backend"
    assert vdr["metadata"]["tools"]["components"][0]["name"] == "clearinghouse"


def test_one_vulnerability_per_finding_pointing_at_a_listed_component(
    report: ScanReport, vdr: dict[str, Any]
) -> None:
    refs = {c["bom-ref"] for c in vdr["components"]}
    assert len(vdr["vulnerabilities"]) == len(report.findings)
    for vulnerability in vdr["vulnerabilities"]:
        assert all(a["ref"] in refs for a in vulnerability["affects"])
    # The SBOM's own bom-refs are kept; a component without one is named by its purl.
    assert {"jinja2-ref", "gin", "pkg:pypi/apache-skywalking@0.3.0"} <= refs


def test_finding_fields(vdr: dict[str, Any]) -> None:
    vulns = _vulnerabilities(vdr)
    werkzeug = vulns[("CVE-2023-46136", "pkg:pypi/werkzeug@2.3.7")]
    assert werkzeug["ratings"] == [{"score": 7.5, "severity": "high"}]
    assert werkzeug["source"]["name"] == "NVD"
    assert {r["id"] for r in werkzeug["references"]} == {"GHSA-hrfv-mqp8-q5rw", "PYSEC-2023-221"}
    assert werkzeug["recommendation"] == "Upgrade werkzeug 2.3.7 to 2.3.8 or later."
    assert werkzeug["affects"][0]["versions"] == [{"status": "affected", "version": "2.3.7"}]
    assert "analysis" not in werkzeug
    assert any(a["url"].startswith("https://") for a in werkzeug["advisories"])

    jinja = vulns[("CVE-2020-28493", "jinja2-ref")]
    assert "ratings" not in jinja  # the record carries no score or severity
    salt = vulns[("CVE-2020-11651", "pkg:pypi/salt@3000.1")]
    assert {"name": "clearinghouse:kev_due_date", "value": "2022-05-03"} in salt["properties"]
    skywalking = vulns[("CVE-2020-13921", "pkg:pypi/apache-skywalking@0.3.0")]
    assert "recommendation" not in skywalking  # no fixed version is known


def test_vex_suppressed_finding_has_its_analysis(vdr: dict[str, Any]) -> None:
    gin = _vulnerabilities(vdr)[("CVE-2020-36567", "gin")]
    assert gin["analysis"] == {
        "state": "not_affected",
        "justification": "code_not_reachable",
        "detail": "The Logger middleware is not used; requests are logged by the reverse proxy.",
    }
    assert gin["affects"][0]["versions"] == [{"status": "unaffected", "version": "1.5.0"}]


def test_words_cyclonedx_does_not_know_go_to_the_detail(report: ScanReport) -> None:
    gin = next(f for f in report.findings if f.suppressed)
    odd = replace(
        gin,
        vex=VexStatement(gin.primary_id, "not_affected", justification="it_is_fine", detail="ok"),
        references=("https://ok.example/a b", "ftp://example.org/x", "https://ok.example/y"),
    )
    text = scan_to_vdr(replace(report, findings=(odd,)))
    assert JSON_VALIDATOR.validate_str(text) is None
    (vulnerability,) = json.loads(text)["vulnerabilities"]
    assert vulnerability["analysis"] == {
        "state": "not_affected",
        "detail": "justification: it_is_fine; ok",
    }
    assert vulnerability["advisories"] == [{"url": "https://ok.example/y"}]


def test_clashing_bom_refs_are_made_unique(report: ScanReport) -> None:
    first, second = report.findings[:2]
    clash = (
        replace(first, component=replace(first.component, bom_ref="same")),
        replace(second, component=replace(second.component, bom_ref="same")),
    )
    text = scan_to_vdr(replace(report, findings=clash))
    assert JSON_VALIDATOR.validate_str(text) is None
    assert sorted(c["bom-ref"] for c in json.loads(text)["components"]) == ["same", "same#2"]


def test_a_clean_scan_is_a_valid_empty_vdr(shared_data: Path) -> None:
    text = scan_to_vdr(clean_report(shared_data))
    assert JSON_VALIDATOR.validate_str(text) is None
    assert "vulnerabilities" not in json.loads(text)


def test_same_report_same_bytes_and_a_new_scan_a_new_serial(report: ScanReport) -> None:
    assert scan_to_vdr(report) == scan_to_vdr(report)
    later = replace(report, scanned_at=report.scanned_at + timedelta(hours=1))
    assert (
        json.loads(scan_to_vdr(later))["serialNumber"]
        != json.loads(scan_to_vdr(report))["serialNumber"]
    )
