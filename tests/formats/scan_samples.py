"""Scan reports built from real records of ../shared/data, for the tests of the report writers.

The writers take a `ScanReport` and nothing else, so these tests build one by hand from the
record files (ids, aliases, references, CVSS vectors, fixed versions) and the KEV catalog,
without a database: what a finding says is taken from the files here, independently of the
scanner. Imported by tests/formats and tests/matching (`tests/` is on sys.path through the
root conftest).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from cvss import CVSS3

from clearinghouse.formats import load_osv_json, load_osv_yaml
from clearinghouse.formats.components import (
    Component,
    SbomDocument,
    SkippedComponent,
    VexStatement,
)
from clearinghouse.matching import nearest_fix, record_affects
from clearinghouse.matching.findings import ComponentAdvice, Finding, ScanReport, Severity

SCANNED_AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

# (records under osv/, the component they affect)
PICKS: tuple[tuple[tuple[str, ...], Component], ...] = (
    (
        ("pypi/jinja2/PYSEC-2019-217.yaml", "pypi/jinja2/PYSEC-2021-66.yaml"),
        Component("PyPI", "jinja2", "2.10", "pkg:pypi/jinja2@2.10", "jinja2-ref", "components[0]"),
    ),
    (
        ("pypi/apache-skywalking/PYSEC-2020-342.yaml",),
        Component("PyPI", "apache-skywalking", "0.3.0", None, None, "components[1]"),
    ),
    (
        ("pypi/werkzeug/PYSEC-2023-221.yaml",),
        Component("PyPI", "werkzeug", "2.3.7", "pkg:pypi/werkzeug@2.3.7", None, "components[2]"),
    ),
    (
        ("pypi/aiohttp/PYSEC-2023-250.yaml",),
        Component("PyPI", "aiohttp", "3.8.6", "pkg:pypi/aiohttp@3.8.6", None, "components[3]"),
    ),
    (
        ("pypi/keylime/PYSEC-2023-128.yaml",),
        Component("PyPI", "keylime", "7.2.0", "pkg:pypi/keylime@7.2.0", None, "components[4]"),
    ),
    (
        ("pypi/salt/PYSEC-2020-102.yaml",),
        Component("PyPI", "salt", "3000.1", "pkg:pypi/salt@3000.1", None, "components[5]"),
    ),
    (
        ("go/GO-2020-0001.json",),
        Component(
            "Go",
            "github.com/gin-gonic/gin",
            "1.5.0",
            "pkg:golang/github.com/gin-gonic/gin@v1.5.0",
            "gin",
            "components[6]",
        ),
    ),
)

# The SBOM author says the gin log-injection flaw does not reach them.
GIN_VEX = VexStatement(
    vulnerability="CVE-2020-36567",
    state="not_affected",
    justification="code_not_reachable",
    detail="The Logger middleware is not used; requests are logged by the reverse proxy.",
    refs=("gin",),
)

SKIPPED = (
    SkippedComponent(
        name="internal-billing", reason="no version", bom_ref="billing", location="components[7]"
    ),
    SkippedComponent(
        name="left-pad",
        version="1.3.0",
        purl="pkg:generic/left-pad@1.3.0",
        reason="purl type 'generic' maps to no ecosystem the matcher supports",
        location="components[8]",
    ),
)


def load_record(shared_data: Path, relative: str) -> dict[str, Any]:
    path = shared_data / "osv" / relative
    loader = load_osv_yaml if path.suffix == ".yaml" else load_osv_json
    return loader(path.read_bytes(), source=relative)


def kev_due_dates(shared_data: Path) -> dict[str, date]:
    catalog = json.loads((shared_data / "kev/known_exploited_vulnerabilities.json").read_text())
    return {v["cveID"]: date.fromisoformat(v["dueDate"]) for v in catalog["vulnerabilities"]}


def _cvss(record: dict[str, Any]) -> tuple[Severity, float | None]:
    for entry in record.get("severity") or ():
        if entry["type"] == "CVSS_V3":
            vector = CVSS3(entry["score"])
            return Severity.parse(vector.severities()[0]), float(vector.scores()[0])
    return Severity.UNKNOWN, None


def _summary(record: dict[str, Any]) -> str:
    if record.get("summary"):
        return str(record["summary"])
    details = " ".join(str(record.get("details", "")).split())
    return details.split(". ")[0].rstrip(".") + "."


def _entries(record: dict[str, Any], component: Component) -> list[dict[str, Any]]:
    return [
        a
        for a in record["affected"]
        if a["package"]["ecosystem"] == component.ecosystem
        and a["package"]["name"] == component.name
    ]


def finding_from_record(
    record: dict[str, Any],
    component: Component,
    group_id: int,
    kev: dict[str, date],
    vex: VexStatement | None = None,
) -> Finding:
    """The finding a scan makes of `record` in `component`, read off the record itself."""
    assert record_affects(record, component.ecosystem, component.name, component.version)
    aliases = tuple(sorted({record["id"], *record.get("aliases", ())}))
    cves = [a for a in aliases if a.startswith("CVE-")]
    severity, score = _cvss(record)
    references = sorted(record.get("references", ()), key=lambda r: r["type"] != "ADVISORY")
    due = [kev[a] for a in aliases if a in kev]
    return Finding(
        component=component,
        group_id=group_id,
        primary_id=cves[0] if cves else record["id"],
        record_ids=(record["id"],),
        aliases=aliases,
        summary=_summary(record),
        severity=severity,
        score=score,
        known_exploited=bool(due),
        kev_due_date=min(due) if due else None,
        fixed_version=nearest_fix(_entries(record, component), component.version),
        references=tuple(dict.fromkeys(r["url"] for r in references)),
        vex=vex,
    )


def _advice(component: Component, findings: Iterable[Finding], records: list[dict[str, Any]]):
    active = [f for f in findings if not f.suppressed]
    entries = [e for r in records for e in _entries(r, component)]
    upgrade = nearest_fix(entries, component.version) if active else None
    return ComponentAdvice(component=component, finding_count=len(active), upgrade_to=upgrade)


def sample_report(shared_data: Path) -> ScanReport:
    """Seven components, eight findings (one of each severity, one known exploited, one
    suppressed by VEX, one without a fixed version), two components that were not checked."""
    kev = kev_due_dates(shared_data)
    findings: list[Finding] = []
    advice: list[ComponentAdvice] = []
    group_id = 100
    for paths, component in PICKS:
        records = [load_record(shared_data, p) for p in paths]
        component_findings = []
        for record in records:
            group_id += 1
            finding = finding_from_record(record, component, group_id, kev)
            if GIN_VEX.vulnerability in finding.aliases:
                finding = replace(finding, vex=GIN_VEX)
            component_findings.append(finding)
        findings.extend(component_findings)
        advice.append(_advice(component, component_findings, records))
    findings.sort(key=lambda f: (-f.severity, f.primary_id, f.component.name))
    document = SbomDocument(
        format="CycloneDX",
        format_version="1.6",
        encoding="json",
        name="shop-backend",
        components=tuple(c for _, c in PICKS),
        skipped=SKIPPED,
        vex=(GIN_VEX,),
        warnings=("metadata.timestamp is missing",),
    )
    return ScanReport(
        document=document,
        findings=tuple(findings),
        advice=tuple(advice),
        scanned_at=SCANNED_AT,
        records_considered=19,
    )


def clean_report(shared_data: Path) -> ScanReport:
    """A scan that found nothing: the same document with every affected component upgraded."""
    components = tuple(
        replace(c, version="99.0.0", purl=None) if c.ecosystem == "PyPI" else c
        for _, c in PICKS[:-1]
    )
    document = SbomDocument(
        format="requirements.txt", format_version=None, encoding="text", components=components
    )
    return ScanReport(document=document, findings=(), advice=(), scanned_at=SCANNED_AT)
