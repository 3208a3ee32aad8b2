"""Acceptance: an advisory for every record of a real sample, and a case's VEX, all valid.

150 real records (75 PyPI, 75 Go, from `../shared/data/osv`) are ingested with the real
intake; each gets a drafted and published (final) advisory, signed by the real instance
key; every stored document is read back and passes the real CSAF validator with no
failure. A closed disclosure case with three vendor statements gives a VEX document.
Prints the figures (documents per second) for the report; asserts on counts, not time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from clearinghouse.advisories import csaf_document as csaf
from clearinghouse.advisories import service, sources
from clearinghouse.advisories.models import AdvisoryProfile, AdvisoryStatus, AdvisoryVersion
from clearinghouse.advisories.signing import instance_signer
from clearinghouse.disclosure.models import (
    CaseStatement,
    CaseStatus,
    CaseVendor,
    DisclosureCase,
    StatementStatus,
)
from clearinghouse.formats.csaf import validate_csaf
from clearinghouse.identity.models import OrgKind
from clearinghouse.identity.principal import local_operator
from clearinghouse.identity.service import create_organisation
from clearinghouse.intake.pipeline import ingest_paths
from clearinghouse.settings import Settings
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import Vulnerability
from clearinghouse.vulnerabilities.store import find_group

PER_ECOSYSTEM = 75
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def _sample(shared_data: Path) -> list[Path]:
    pypi = sorted((shared_data / "osv" / "pypi").glob("*/*.yaml"))[:PER_ECOSYSTEM]
    go = sorted((shared_data / "osv" / "go").glob("*.json"))[:PER_ECOSYSTEM]
    return [*pypi, *go]


def _closed_case(db: Database) -> int:
    with db.session() as session:
        orgs = {
            slug: create_organisation(
                session, slug=slug, name=name, kind=OrgKind.vendor, actor="test"
            ).id
            for slug, name in (("acme", "Acme"), ("globex", "Globex"), ("initech", "Initech"))
        }
        case = DisclosureCase(
            title="Heap overflow in framecodec frame decoding",
            summary="Remote code execution in framecodec",
            description="A crafted frame overflows the decoder's buffer.",
            package_ecosystem="PyPI",
            package_name="framecodec",
            affected_versions="<2.4.1",
            cwe="CWE-787",
            cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            severity="CRITICAL",
            tlp="CLEAR",
            embargo_ends_at=NOW - timedelta(days=1),
            status=CaseStatus.closed,
            opened_by="test",
            opened_at=NOW - timedelta(days=60),
            updated_at=NOW,
            closed_at=NOW,
        )
        session.add(case)
        session.flush()
        statements = (
            ("acme", StatementStatus.affected, ">=2.0, <2.4.1", "Fix in review"),
            ("globex", StatementStatus.not_affected, "", "The decoder is not shipped"),
            ("initech", StatementStatus.fixed, ">=2.4.1", "Fixed in 2.4.1"),
        )
        for slug, status, versions, text in statements:
            session.add(
                CaseVendor(
                    case_id=case.id, organisation_id=orgs[slug], invited_at=NOW, invited_by="t"
                )
            )
            session.add(
                CaseStatement(
                    case_id=case.id,
                    organisation_id=orgs[slug],
                    status=status,
                    versions=versions,
                    statement=text,
                    author="test",
                    created_at=NOW,
                )
            )
        return case.id


@pytest.mark.slow
def test_every_record_of_a_real_sample_publishes_a_valid_csaf_document(
    sqlite_db: Database, shared_data: Path
) -> None:
    db = sqlite_db
    summary = ingest_paths(db, _sample(shared_data), actor="test", workers=0)
    assert not summary.rejections, summary.rejections
    settings = Settings(database_url=db.url, encryption_key=Fernet.generate_key().decode())
    operator = local_operator("acceptance")
    with db.read_session() as session:
        osv_ids = list(session.scalars(select(Vulnerability.osv_id).order_by(Vulnerability.osv_id)))
    assert len(osv_ids) == 2 * PER_ECOSYSTEM

    # Build + validate alone (no database), for the figure.
    with db.read_session() as session:
        views = [find_group(session, i, operator, now=NOW) for i in osv_ids]
    started = time.perf_counter()
    for view in views:
        facts = csaf.CsafFacts(
            tracking_id="CH-2026-00000",
            title=view.requested,
            profile="csaf_security_advisory",
            status="final",
            tlp="CLEAR",
            publisher=csaf.Publisher("Clearinghouse", "https://clearinghouse.example.org"),
            revisions=(csaf.Revision("1", NOW, "Initial version"),),
            generator="test",
            generated_at=NOW,
            vulnerabilities=(sources.gather_group(view).vulnerability,),
        )
        assert validate_csaf(csaf.build_csaf(facts)).valid
    build_seconds = time.perf_counter() - started

    case_id = _closed_case(db)
    signer = instance_signer(settings, db=db, actor="test")
    started = time.perf_counter()
    with signer.batch() as batch:
        for osv_id in osv_ids:
            with db.session() as session:
                advisory = service.create_draft(session, operator, vulnerability=osv_id, now=NOW)
                service.publish(
                    session,
                    operator,
                    advisory_id=advisory.id,
                    status=AdvisoryStatus.final,
                    summary="",
                    settings=settings,
                    signer_for=lambda _session: batch,
                    now=NOW,
                )
        with db.session() as session:
            vex = service.create_draft(session, operator, case_id=case_id, now=NOW)
            assert vex.profile is AdvisoryProfile.vex
            service.publish(
                session,
                operator,
                advisory_id=vex.id,
                status=AdvisoryStatus.final,
                summary="",
                settings=settings,
                signer_for=lambda _session: batch,
                now=NOW,
            )
            vex_id = vex.id
    publish_seconds = time.perf_counter() - started

    with db.read_session() as session:
        rows = session.scalars(select(AdvisoryVersion)).all()
        documents = {row.advisory_id: orjson.loads(row.document) for row in rows}
        assert all(row.signature and "BEGIN PGP SIGNATURE" in row.signature for row in rows)
    failures = {
        advisory_id: [str(f) for f in validate_csaf(doc).failures]
        for advisory_id, doc in documents.items()
    }
    failing = {k: v for k, v in failures.items() if v}
    passed = len(documents) - len(failing)
    print(
        f"\nCSAF acceptance: {len(documents)} published ({len(osv_ids)} records + 1 case VEX), "
        f"{passed} pass validate_csaf; build+validate {len(views) / build_seconds:.0f} docs/s; "
        f"draft+validate+sign+store {len(documents) / publish_seconds:.1f} docs/s"
    )
    assert not failing, failing
    assert len(documents) == len(osv_ids) + 1
    vex_status = documents[vex_id]["vulnerabilities"][0]["product_status"]
    assert set(vex_status) == {"known_affected", "known_not_affected", "fixed"}
    assert documents[vex_id]["document"]["category"] == "csaf_vex"
