"""The scanner against real records in a real database (SQLite and PostgreSQL).

Expectations come from the record files themselves, read here with PyYAML and the KEV JSON
with the standard library, not from the scanner's own code path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from cvss import CVSS3
from sqlalchemy import update

from clearinghouse.formats.components import Component, SbomDocument, VexStatement
from clearinghouse.identity.principal import ANONYMOUS, local_operator
from clearinghouse.intake import ingest_paths
from clearinghouse.matching.findings import Severity
from clearinghouse.matching.scan import PackageQuery, records_affecting, scan_document
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import Vulnerability

PACKAGES = ("jinja2", "pyspark", "werkzeug", "loguru", "requests")


def _records(shared_data: Path, package: str) -> list[dict[str, Any]]:
    folder = shared_data / "osv" / "pypi" / package
    return [yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))]


@pytest.fixture
def store(db: Database, shared_data: Path) -> Database:
    paths = [shared_data / "osv" / "pypi" / name for name in PACKAGES]
    paths.append(shared_data / "kev" / "known_exploited_vulnerabilities.json")
    summary = ingest_paths(db, paths, actor="test", workers=0)
    assert not summary.rejections
    return db


def _document(*components: Component, vex: tuple[VexStatement, ...] = ()) -> SbomDocument:
    return SbomDocument(
        format="test", format_version=None, encoding="json", components=components, vex=vex
    )


def _scan(db: Database, document: SbomDocument, principal: Any = None) -> Any:
    with db.read_session() as session:
        return scan_document(session, document, principal=principal or local_operator())


def test_every_listed_version_is_found_and_nothing_else(store: Database, shared_data: Path) -> None:
    """Each version a record lists yields a finding naming that record; withdrawn ones never."""
    for package in PACKAGES:
        records = _records(shared_data, package)
        listed = {v for r in records for a in r["affected"] for v in a.get("versions", ())}
        components = tuple(Component("PyPI", package, v) for v in sorted(listed))
        report = _scan(store, _document(*components))
        found: dict[str, set[str]] = {}
        for finding in report.findings:
            found.setdefault(finding.component.version, set()).update(finding.record_ids)
        for record in records:
            for version in {v for a in record["affected"] for v in a.get("versions", ())}:
                if record.get("withdrawn"):
                    assert record["id"] not in found.get(version, set())
                else:
                    assert record["id"] in found.get(version, set()), (record["id"], version)


def test_a_fixed_version_has_no_finding_of_the_record_it_fixes(
    store: Database, shared_data: Path
) -> None:
    record = next(r for r in _records(shared_data, "jinja2") if r["id"] == "PYSEC-2019-217")
    fixed = [
        e["fixed"] for rng in record["affected"][0]["ranges"] for e in rng["events"] if "fixed" in e
    ]
    report = _scan(store, _document(Component("PyPI", "Jinja2", fixed[0])))
    assert all("PYSEC-2019-217" not in f.record_ids for f in report.findings)


def test_a_finding_is_one_alias_group_with_its_fix_and_advice(store: Database) -> None:
    report = _scan(store, _document(Component("PyPI", "Jinja2", "2.10", bom_ref="j")))
    by_id = {f.primary_id: f for f in report.findings}
    finding = by_id["CVE-2019-10906"]
    assert finding.record_ids == ("PYSEC-2019-217",)
    assert "CVE-2019-10906" in finding.aliases and "PYSEC-2019-217" in finding.aliases
    assert finding.fixed_version == "2.10.1"
    assert finding.references  # the record's advisory links
    [advice] = report.advice
    # 2.10.1 fixes one finding but not the other; the advice must fix both.
    assert advice.finding_count == len(report.findings) == 2
    assert advice.upgrade_to == "2.11.3"
    later = _scan(store, _document(Component("PyPI", "jinja2", advice.upgrade_to)))
    assert later.findings == ()


def test_known_exploited_status_and_due_date_come_from_kev(
    store: Database, shared_data: Path
) -> None:
    catalog = json.loads((shared_data / "kev" / "known_exploited_vulnerabilities.json").read_text())
    due = {v["cveID"]: v["dueDate"] for v in catalog["vulnerabilities"]}
    report = _scan(store, _document(Component("PyPI", "pyspark", "3.0.0")))
    assert report.findings
    for finding in report.findings:
        kev_aliases = [a for a in finding.aliases if a in due]
        assert finding.known_exploited == bool(kev_aliases)
        if kev_aliases:
            assert str(finding.kev_due_date) == min(due[a] for a in kev_aliases)
    assert any(f.known_exploited for f in report.findings)  # CVE-2022-33891 is in KEV


def test_severity_and_score_are_the_cvss_librarys(store: Database, shared_data: Path) -> None:
    scored = [r for r in _records(shared_data, "werkzeug") if r.get("severity")]
    if not scored:
        pytest.skip("no werkzeug record in this data carries a CVSS vector")
    record = scored[0]
    version = record["affected"][0]["versions"][0]
    report = _scan(store, _document(Component("PyPI", "werkzeug", version)))
    finding = next(f for f in report.findings if record["id"] in f.record_ids)
    vectors = [s["score"] for s in record["severity"] if s["type"] == "CVSS_V3"]
    assert finding.score == max(float(CVSS3(v).scores()[0]) for v in vectors)
    assert finding.severity is Severity[str(CVSS3(vectors[0]).severities()[0]).upper()]


def test_vex_not_affected_suppresses_and_says_why(store: Database) -> None:
    statement = VexStatement(
        "CVE-2019-10906", "not_affected", "code_not_reachable", "sandbox unused", ("j",)
    )
    other = VexStatement("CVE-2019-10906", "not_affected", "code_not_present", None, ("x",))
    component = Component("PyPI", "jinja2", "2.10", bom_ref="j")
    report = _scan(store, _document(component, vex=(other, statement)))
    [suppressed] = report.suppressed
    assert suppressed.primary_id == "CVE-2019-10906" and suppressed.vex == statement
    assert [f.primary_id for f in report.active] == ["CVE-2020-28493"]
    assert report.advice[0].finding_count == 1
    in_triage = VexStatement("CVE-2019-10906", "in_triage")
    assert len(_scan(store, _document(component, vex=(in_triage,))).active) == 2


def test_unreadable_versions_are_skipped_with_the_reason(store: Database) -> None:
    report = _scan(store, _document(Component("crates.io", "tokio", "not a version")))
    [skipped] = report.document.skipped
    assert skipped.name == "tokio" and "version" in skipped.reason
    assert report.findings == ()


def test_records_the_reader_may_not_see_are_not_matched(store: Database) -> None:
    with store.session() as session:
        session.execute(
            update(Vulnerability).where(Vulnerability.osv_id == "PYSEC-2019-217").values(tlp="RED")
        )
    document = _document(Component("PyPI", "jinja2", "2.10"))
    assert "CVE-2019-10906" in {f.primary_id for f in _scan(store, document).findings}
    seen_by_anonymous = _scan(store, document, principal=ANONYMOUS)
    assert "CVE-2019-10906" not in {f.primary_id for f in seen_by_anonymous.findings}


def test_records_affecting_answers_records_not_groups(store: Database) -> None:
    with store.read_session() as session:
        [with_version, without, unknown] = records_affecting(
            session,
            [
                PackageQuery("PyPI", "Jinja2", "2.10"),
                PackageQuery("PyPI", "jinja2"),
                PackageQuery("PyPI", "no-such-package", "1.0"),
            ],
        )
    assert [h.osv_id for h in with_version] == ["PYSEC-2019-217", "PYSEC-2021-66"]
    assert {h.osv_id for h in without} >= {h.osv_id for h in with_version}
    assert unknown == []
