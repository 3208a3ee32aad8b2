"""Continuous matching: records that arrive or change after an upload, on both databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from clearinghouse.audit import verify
from clearinghouse.audit.models import AuditEvent
from clearinghouse.formats.components import Component, VexStatement
from clearinghouse.identity.principal import local_operator
from clearinghouse.intake import ingest_paths, submit_record
from clearinghouse.sbom import service
from clearinghouse.sbom.models import FindingEvent, FindingStatus, InventoryFinding
from clearinghouse.sbom.rematch import rematch_records

from .conftest import NOW, Cast, notifications, osv, pypi, sbom, store

LATER = NOW + timedelta(days=3)


def upload(cast: Cast, who: str, *components, inventory="billing-api", vex=()):  # type: ignore[no-untyped-def]
    with cast.db.session() as session:
        return service.upload_document(
            session,
            cast.principals[who],
            inventory=inventory,
            document=sbom(*components, vex=vex),
            filename="bom.json",
            content=b"{}",
            now=NOW,
        )


def open_findings(cast: Cast) -> dict[tuple[int, str, str, str], InventoryFinding]:
    with cast.db.read_session() as session:
        rows = session.scalars(select(InventoryFinding)).all()
        return {(f.inventory_id, f.name_key, f.version, f.primary_id): f for f in rows}


def test_a_new_record_opens_findings_and_notifies_each_organisation_once(cast: Cast) -> None:
    grid = upload(cast, "grid", pypi("requests", "2.30.0"), pypi("idna", "3.7"))
    grid_other = upload(cast, "grid", pypi("requests", "2.25.1"), inventory="scada-gateway")
    water = upload(cast, "water", pypi("requests", "2.31.0"), pypi("urllib3", "2.0.0"))
    assert open_findings(cast) == {}

    store(
        cast.db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
            severity="MODERATE",
        ),
    )
    found = open_findings(cast)
    assert set(found) == {
        (grid.inventory_id, "requests", "2.30.0", "CVE-2023-32681"),
        (grid_other.inventory_id, "requests", "2.25.1", "CVE-2023-32681"),
    }  # 2.31.0 of Water Co is the fixed version: not affected
    finding = found[(grid.inventory_id, "requests", "2.30.0", "CVE-2023-32681")]
    assert finding.status is FindingStatus.new and finding.fixed_version == "2.31.0"
    assert finding.severity == "MEDIUM" and finding.name == "requests"
    assert finding.purl == "pkg:pypi/requests@2.30.0"
    assert finding.last_upload_id == grid.upload_id

    (note,) = notifications(cast.db)
    assert note.organisation_id == cast.org_ids["gridco"]
    assert "2 new finding(s) in 2 inventory(ies)" in note.body and "CVE-2023-32681" in note.body
    with cast.db.read_session() as session:
        (rematch,) = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "inventory.rematch")
        ).all()
        assert rematch.actor == "test-intake" and '"opened":2' in rematch.details
        assert verify(session).ok
    assert water.inventory_id not in {key[0] for key in found}


def test_running_again_changes_nothing(cast: Cast) -> None:
    upload(cast, "grid", pypi("requests", "2.30.0"))
    store(cast.db, osv("PYSEC-2023-74", "requests", introduced="2.3.0", fixed="2.31.0"))
    with cast.db.session() as session:
        result = rematch_records(session, ["PYSEC-2023-74"], now=LATER)
    assert not result.changed and result.components == 1 and result.versions == 1
    assert len(notifications(cast.db)) == 1
    with cast.db.read_session() as session:
        assert len(session.scalars(select(FindingEvent)).all()) == 1


def test_an_update_that_narrows_the_range_fixes_the_finding(cast: Cast) -> None:
    upload(cast, "grid", pypi("requests", "2.30.0"))
    store(cast.db, osv("PYSEC-2023-74", "requests", introduced="2.3.0", fixed="2.31.0"))
    # The maintainers find that 2.30.0 was never affected.
    store(
        cast.db, osv("PYSEC-2023-74", "requests", introduced="2.3.0", fixed="2.30.0", modified=NOW)
    )
    (finding,) = open_findings(cast).values()
    assert finding.status is FindingStatus.fixed and finding.record_ids == []
    with cast.db.read_session() as session:
        events = session.scalars(select(FindingEvent).order_by(FindingEvent.id)).all()
        assert [e.kind.value for e in events] == ["opened", "fixed"]
        assert (
            events[1].reason
            == "PYSEC-2023-74 no longer affects this version (or is no longer visible)"
        )

    # Widened again: the same finding reopens, it is not a new one.
    store(
        cast.db,
        osv("PYSEC-2023-74", "requests", introduced="2.3.0", fixed="2.31.0", modified=LATER),
    )
    (finding,) = open_findings(cast).values()
    assert finding.status is FindingStatus.new and finding.record_ids == ["PYSEC-2023-74"]
    assert len(notifications(cast.db)) == 2


def test_a_withdrawn_record_leaves_the_finding_of_the_records_that_remain(cast: Cast) -> None:
    upload(cast, "grid", pypi("requests", "2.30.0"))
    store(
        cast.db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
        ),
        osv(
            "GHSA-j8r2-6x86-q33q",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
        ),
    )
    (finding,) = open_findings(cast).values()
    assert finding.record_ids == ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]
    store(
        cast.db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
            modified=NOW,
            withdrawn=NOW,
        ),
    )
    (finding,) = open_findings(cast).values()
    assert finding.status is FindingStatus.new
    assert finding.record_ids == ["GHSA-j8r2-6x86-q33q"]
    store(
        cast.db,
        osv(
            "GHSA-j8r2-6x86-q33q",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
            modified=NOW,
            withdrawn=NOW,
        ),
    )
    (finding,) = open_findings(cast).values()
    assert finding.status is FindingStatus.fixed


def test_only_the_latest_upload_is_matched(cast: Cast) -> None:
    upload(cast, "grid", pypi("requests", "2.30.0"))
    upload(cast, "grid", pypi("requests", "2.31.0"))  # the same inventory, upgraded
    store(cast.db, osv("PYSEC-2023-74", "requests", introduced="2.3.0", fixed="2.31.0"))
    store(cast.db, osv("PYSEC-2099-1", "requests", introduced="2.31.0", fixed="2.32.0"))
    assert [(k[2], k[3]) for k in open_findings(cast)] == [("2.31.0", "PYSEC-2099-1")]


def test_a_decision_survives_an_update_of_the_record(cast: Cast) -> None:
    outcome = upload(cast, "grid", pypi("requests", "2.30.0"))
    store(
        cast.db,
        osv("PYSEC-2023-74", "requests", introduced="2.3.0", fixed="2.31.0", severity="MODERATE"),
    )
    (finding,) = open_findings(cast).values()
    with cast.db.session() as session:
        service.set_finding_status(
            session,
            cast.principals["grid"],
            inventory_id=outcome.inventory_id,
            finding_id=finding.id,
            status=FindingStatus.accepted,
            reason="no proxies",
            now=NOW,
        )
    store(
        cast.db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            severity="CRITICAL",
            modified=NOW,
        ),
    )
    (finding,) = open_findings(cast).values()
    assert finding.status is FindingStatus.accepted and finding.severity == "CRITICAL"


def test_vex_statements_of_the_upload_apply_to_later_records(cast: Cast) -> None:
    vex = [VexStatement("CVE-2023-32681", "not_affected", "vulnerable_code_not_in_execute_path")]
    upload(cast, "grid", pypi("requests", "2.30.0"), vex=vex)
    store(
        cast.db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
        ),
    )
    (finding,) = open_findings(cast).values()
    assert finding.status is FindingStatus.not_affected
    assert finding.vex_justification == "vulnerable_code_not_in_execute_path"
    assert notifications(cast.db) == []  # nothing new to act on


def test_rematch_reaches_what_an_upload_would(cast: Cast) -> None:
    """A record that arrives after the upload gives the finding a fresh upload would give."""
    records = [
        osv("PYSEC-2024-1", "jinja2", fixed="3.1.3", aliases=["CVE-2024-22195"], severity="HIGH"),
        osv(
            "PYSEC-2024-2",
            "jinja2",
            introduced="3.0.0",
            fixed="3.1.4",
            aliases=["CVE-2024-34064"],
            severity="LOW",
            extra_affected=[
                {
                    "package": {"ecosystem": "PyPI", "name": "jinja2"},
                    "ranges": [
                        {
                            "type": "ECOSYSTEM",
                            "events": [{"introduced": "2.0"}, {"fixed": "2.11.3"}],
                        }
                    ],
                }
            ],
        ),
    ]
    components = (pypi("Jinja2", "3.1.2"), pypi("jinja2", "2.10"), pypi("jinja2", "2.11.3"))
    before = upload(cast, "grid", *components, inventory="first")
    store(cast.db, *records)
    after = upload(cast, "grid", *components, inventory="second")
    found = open_findings(cast)
    rematched = {k[1:]: f for k, f in found.items() if k[0] == before.inventory_id}
    uploaded = {k[1:]: f for k, f in found.items() if k[0] == after.inventory_id}
    assert set(rematched) == set(uploaded) and len(uploaded) == 5
    for key, finding in uploaded.items():
        other = rematched[key]
        for column in ("severity", "fixed_version", "primary_id", "aliases", "group_id", "status"):
            assert getattr(other, column) == getattr(finding, column), (key, column)
        assert other.record_ids == finding.record_ids


def test_a_record_submitted_through_the_api_service_is_rematched(cast: Cast) -> None:
    upload(cast, "water", pypi("urllib3", "2.0.0"))
    document = osv("GHSA-v845-jxx5-vc9f", "urllib3", introduced="2.0.0", fixed="2.0.7")
    outcome = submit_record(cast.db, document, local_operator())
    assert outcome.status == "added"
    (finding,) = open_findings(cast).values()
    assert finding.primary_id == "GHSA-v845-jxx5-vc9f"
    assert [n.organisation_id for n in notifications(cast.db)] == [cast.org_ids["waterco"]]


def test_bulk_ingest_of_real_records_rematches_stored_inventories(
    cast: Cast, shared_data: Path
) -> None:
    upload(cast, "grid", pypi("requests", "2.30.0"), pypi("jinja2", "2.10"), pypi("idna", "3.7"))
    summary = ingest_paths(
        cast.db,
        [shared_data / "osv" / "pypi" / "requests", shared_data / "osv" / "pypi" / "jinja2"],
        actor="test",
        workers=0,
    )
    assert summary.counts["added"] >= 10
    found = open_findings(cast)
    assert ("requests", "2.30.0", "CVE-2023-32681") in {k[1:] for k in found}
    assert {k[1] for k in found} == {"requests", "jinja2"}
    with cast.db.read_session() as session:
        view = service.get_inventory(
            session, cast.principals["grid"], inventory_id=next(iter(found))[0]
        )
        assert all(f.status is FindingStatus.new for f in view.findings)


def test_findings_of_two_groups_that_merge_become_one(cast: Cast) -> None:
    """A record arrives saying two stored records describe one vulnerability."""
    upload(cast, "grid", pypi("requests", "2.30.0"))
    store(cast.db, osv("GHSA-j8r2-6x86-q33q", "requests", introduced="2.3.0", fixed="2.31.0"))
    store(
        cast.db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
        ),
    )
    assert len(open_findings(cast)) == 2
    store(
        cast.db,
        osv(
            "GHSA-j8r2-6x86-q33q",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
            modified=NOW,
        ),
    )
    with cast.db.read_session() as session:
        found = session.scalars(select(InventoryFinding).order_by(InventoryFinding.id)).all()
    live = [f for f in found if f.status is FindingStatus.new]
    assert len(live) == 1
    assert live[0].record_ids == ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]
    assert live[0].primary_id == "CVE-2023-32681"
    (merged,) = [f for f in found if f.status is FindingStatus.fixed]
    assert merged.record_ids == [] and merged.id != live[0].id


def test_every_stored_version_is_evaluated_and_only_affected_ones_match(cast: Cast) -> None:
    """Many versions of a package across inventories: the loose index scan finds each one."""
    versions = ["2.0.0", "2.9.1", "2.19.0", "2.25.1", "2.30.0", "2.31.0", "2.32.3", "3.0.0a1"]
    for n, version in enumerate(versions):
        upload(
            cast,
            "grid" if n % 2 else "water",
            pypi("requests", version),
            pypi("idna", "3.7"),
            inventory=f"service-{n}",
        )
    store(cast.db, osv("PYSEC-2023-74", "requests", introduced="2.3.0", fixed="2.31.0"))
    hit = sorted((k[2] for k in open_findings(cast)), key=versions.index)
    assert hit == ["2.9.1", "2.19.0", "2.25.1", "2.30.0"]
    with cast.db.session() as session:
        again = rematch_records(session, ["PYSEC-2023-74"], now=LATER)
    assert again.versions == len(versions) and again.components == 4 and not again.changed


def test_a_debian_release_record_matches_a_component_that_names_only_debian(cast: Cast) -> None:
    debian = Component("Debian", "openssl", "3.0.11-1~deb12u1", purl="pkg:deb/debian/openssl")
    upload(cast, "grid", debian)
    store(cast.db, osv("DSA-5532-1", "openssl", ecosystem="Debian:12", fixed="3.0.11-1~deb12u2"))
    (finding,) = open_findings(cast).values()
    assert finding.ecosystem == "Debian" and finding.fixed_version == "3.0.11-1~deb12u2"
