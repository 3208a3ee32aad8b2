"""The pure CSAF builder: a golden file from one real record, and vers ranges from OSV.

Regenerate the golden file with `CLEARINGHOUSE_REGENERATE_GOLDEN=1 pytest tests/advisories`
and review the diff before committing it.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import orjson

from clearinghouse.advisories import csaf_document as csaf
from clearinghouse.advisories.osv_products import intervals, products_of_affected, vers_of
from clearinghouse.advisories.sources import gather_case_facts, gather_group
from clearinghouse.disclosure.advisory_draft import AdvisoryFacts, VendorStatement
from clearinghouse.formats.csaf import validate_csaf
from clearinghouse.formats.osv import load_osv_yaml
from clearinghouse.vulnerabilities.store import KevStatus, RecordView, VulnGroupView

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("CLEARINGHOUSE_REGENERATE_GOLDEN") == "1"
WHEN = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
PUBLISHER = csaf.Publisher("Clearinghouse", "https://clearinghouse.example.org")


def _record(path: Path) -> RecordView:
    document = load_osv_yaml(path.read_bytes(), source=str(path))
    return RecordView(
        osv_id=document["id"],
        document=document,
        modified=WHEN,
        published=None,
        withdrawn=None,
        summary=str(document.get("summary") or document["details"].split(". ")[0]),
        severity=None,
        tlp="CLEAR",
        source="osv",
        source_file=str(path),
        ingested_at=WHEN,
        updated_at=WHEN,
        revisions=0,
    )


def _facts(vulnerability: csaf.VulnerabilityFacts, profile: csaf.Profile) -> csaf.CsafFacts:
    return csaf.CsafFacts(
        tracking_id="CH-2026-00001",
        title="Golden advisory",
        profile=profile,
        status="final",
        tlp="AMBER+STRICT",
        publisher=PUBLISHER,
        revisions=(
            csaf.Revision("1", WHEN, "Initial version"),
            csaf.Revision("2", WHEN.replace(hour=10), "Fixed versions added"),
        ),
        generator="0.1.0",
        generated_at=WHEN.replace(hour=10),
        notes=(csaf.Note("legal_disclaimer", "Terms of use", "As is."),),
        vulnerabilities=(vulnerability,),
    )


def _check_golden(name: str, document: dict[str, object]) -> None:
    data = orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"
    path = GOLDEN / name
    if REGENERATE or not path.exists():
        path.write_bytes(data)
    assert data.decode() == path.read_text(), f"{name} differs; regenerate and review the diff"


def test_a_real_pypi_record_builds_the_golden_document(shared_data: Path) -> None:
    record = _record(shared_data / "osv" / "pypi" / "jinja2" / "PYSEC-2019-220.yaml")
    view = VulnGroupView(
        requested="CVE-2016-10745",
        group_id=1,
        aliases=sorted({record.osv_id, *record.document["aliases"]}),
        records=[record],
        kev=KevStatus(
            cve_id="CVE-2016-10745",
            vendor_project="Pallets",
            product="Jinja",
            vulnerability_name="(for the test: not in the catalog)",
            date_added=date(2026, 1, 5),
            due_date=date(2026, 1, 26),
            required_action="Apply updates per vendor instructions.",
            known_ransomware_campaign_use="Unknown",
            short_description="",
        ),
    )
    gathered = gather_group(view)
    document = csaf.build_csaf(_facts(gathered.vulnerability, "csaf_security_advisory"))
    report = validate_csaf(document)
    assert report.valid, [str(f) for f in report.failures]
    vulnerability = document["vulnerabilities"][0]
    assert vulnerability["cve"] == "CVE-2016-10745"
    assert {"system_name": "GHSA", "text": "GHSA-hj2j-77xm-mc5v"} in vulnerability["ids"]
    assert document["document"]["distribution"]["tlp"]["label"] == "AMBER"
    assert "AMBER+STRICT" in document["document"]["distribution"]["text"]
    assert any(
        t["category"] == "exploit_status" and "2026-01-26" in t["details"]
        for t in vulnerability["threats"]
    )
    _check_golden("PYSEC-2019-220.csaf.json", document)


def test_a_case_gives_a_valid_vex_document_with_impact_statements() -> None:
    facts = AdvisoryFacts(
        case_id=7,
        title="Heap overflow in framecodec",
        summary="Remote code execution",
        description="A crafted frame overflows the decoder's buffer.",
        package_ecosystem="PyPI",
        package_name="framecodec",
        affected_versions="<2.4.1",
        cwe="CWE-787",
        cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        severity="CRITICAL",
        cve_id=None,
        tlp="CLEAR",
        embargo_ends_at=WHEN,
        statements=(
            VendorStatement("Acme", "affected", ">=2.0, <2.4.1", "Fix in review", WHEN),
            VendorStatement("Globex", "not_affected", "", "Decoder not shipped", WHEN),
            VendorStatement("Initech", "fixed", ">=2.4.1", "", WHEN),
        ),
    )
    document = csaf.build_csaf(_facts(gather_case_facts(facts).vulnerability, "csaf_vex"))
    report = validate_csaf(document)
    assert report.valid, [str(f) for f in report.failures]
    vulnerability = document["vulnerabilities"][0]
    status = vulnerability["product_status"]
    assert set(status) == {"known_affected", "known_not_affected", "fixed"}
    assert vulnerability["threats"][0] == {
        "category": "impact",
        "details": "Decoder not shipped",
        "product_ids": status["known_not_affected"],
    }
    assert vulnerability["scores"][0]["cvss_v3"]["baseScore"] == 9.8
    assert vulnerability["cwe"] == {"id": "CWE-787", "name": "Out-of-bounds Write"}


def test_vers_ranges_are_ordered_and_fixed_versions_become_products() -> None:
    entry = {
        "package": {"ecosystem": "Go", "name": "github.com/coder/coder/v2"},
        "ranges": [
            {
                "type": "SEMVER",
                "events": [
                    {"introduced": "2.15.0"},
                    {"fixed": "2.15.3"},
                    {"introduced": "2.3.1"},
                    {"fixed": "2.14.4"},
                ],
            }
        ],
    }
    products = products_of_affected(entry, advisory_url="https://example.org/a")
    assert products[0].version_range == "vers:golang/>=2.3.1|<2.14.4|>=2.15.0|<2.15.3"
    assert products[0].purl == "pkg:golang/github.com/coder/coder/v2"
    assert [(p.version, p.status) for p in products[1:]] == [
        ("2.15.3", "fixed"),
        ("2.14.4", "fixed"),
    ]
    assert products[2].purl == "pkg:golang/github.com/coder/coder/v2@2.14.4"
    every = intervals([{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}])
    assert vers_of("PyPI", every) == "vers:pypi/*"
    assert vers_of("PyPI", intervals([{"type": "GIT", "events": [{"introduced": "0"}]}])) is None
