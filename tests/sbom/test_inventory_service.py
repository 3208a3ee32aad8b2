"""Uploads, findings and their history through the service, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from clearinghouse.audit import verify
from clearinghouse.audit.models import AuditEvent
from clearinghouse.errors import Conflict, Forbidden, Unauthenticated
from clearinghouse.formats.components import VexStatement
from clearinghouse.identity.principal import ANONYMOUS, local_operator
from clearinghouse.identity.tlp import Tlp
from clearinghouse.matching.findings import Severity
from clearinghouse.sbom import service
from clearinghouse.sbom.errors import InvalidFindingStatus, UnknownFinding, UnknownInventory
from clearinghouse.sbom.models import (
    FindingEvent,
    FindingStatus,
    InventoryComponent,
    InventoryFinding,
)
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import Vulnerability

from .conftest import NOW, Cast, osv, pypi, sbom, store


def upload(cast: Cast, who: str, *components, inventory="billing-api", org=None, vex=(), at=NOW):  # type: ignore[no-untyped-def]
    with cast.db.session() as session:
        return service.upload_document(
            session,
            cast.principals[who] if who != "cli" else local_operator(),
            inventory=inventory,
            document=sbom(*components, vex=vex),
            filename="bom.json",
            content=repr(components).encode(),
            organisation=org,
            now=at,
        )


def findings(cast: Cast, who: str, inventory_id: int, **filters):  # type: ignore[no-untyped-def]
    with cast.db.read_session() as session:
        view = service.get_inventory(
            session, cast.principals[who], inventory_id=inventory_id, **filters
        )
        return {(f.name_key, f.version, f.primary_id): f for f in view.findings}


@pytest.fixture
def records(cast: Cast) -> None:
    store(
        cast.db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681", "GHSA-j8r2-6x86-q33q"],
            severity="MODERATE",
        ),
        osv(
            "GHSA-j8r2-6x86-q33q",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
            severity="MODERATE",
        ),
        osv("PYSEC-2024-1", "jinja2", fixed="3.1.3", aliases=["CVE-2024-22195"], severity="HIGH"),
        osv("PYSEC-2024-2", "jinja2", fixed="3.1.4", aliases=["CVE-2024-34064"], severity="LOW"),
    )


def test_an_upload_stores_components_and_one_finding_per_vulnerability(
    cast: Cast, records: None
) -> None:
    outcome = upload(
        cast, "grid", pypi("requests", "2.30.0"), pypi("Jinja2", "3.1.2"), pypi("idna", "3.7")
    )
    assert outcome.counts == {
        "opened": 3,
        "reopened": 0,
        "persisting": 0,
        "fixed": 0,
        "suppressed": 0,
    }
    found = findings(cast, "grid", outcome.inventory_id)
    # PYSEC-2023-74 and GHSA-j8r2 are one vulnerability (alias group): one finding, two records.
    requests = found[("requests", "2.30.0", "CVE-2023-32681")]
    assert requests.record_ids == ["GHSA-j8r2-6x86-q33q", "PYSEC-2023-74"]
    assert requests.severity == "MEDIUM" and requests.fixed_version == "2.31.0"
    assert requests.status is FindingStatus.new
    assert found[("jinja2", "3.1.2", "CVE-2024-22195")].fixed_version == "3.1.3"
    assert found[("jinja2", "3.1.2", "CVE-2024-34064")].name == "Jinja2"
    assert len(found) == 3
    with cast.db.read_session() as session:
        assert len(session.scalars(select(InventoryComponent)).all()) == 3
        actions = session.scalars(select(AuditEvent.action)).all()
        assert "sbom.upload" in actions and "inventory.create" in actions
        assert verify(session).ok


def test_a_new_upload_fixes_what_left_and_keeps_decisions_that_persist(
    cast: Cast, records: None
) -> None:
    first = upload(cast, "grid", pypi("requests", "2.30.0"), pypi("jinja2", "3.1.2"))
    found = findings(cast, "grid", first.inventory_id)
    accepted = found[("jinja2", "3.1.2", "CVE-2024-22195")]
    with cast.db.session() as session:
        service.set_finding_status(
            session,
            cast.principals["grid2"],
            inventory_id=first.inventory_id,
            finding_id=accepted.id,
            status=FindingStatus.accepted,
            reason="sandboxed templates only",
            now=NOW,
        )

    # requests upgraded past the fix; jinja2 unchanged.
    second = upload(
        cast,
        "grid",
        pypi("requests", "2.31.0"),
        pypi("jinja2", "3.1.2"),
        at=NOW + timedelta(days=1),
    )
    assert second.inventory_id == first.inventory_id
    assert second.counts["fixed"] == 1 and second.counts["persisting"] == 2
    after = findings(cast, "grid", first.inventory_id)
    fixed = after[("requests", "2.30.0", "CVE-2023-32681")]
    assert fixed.status is FindingStatus.fixed and fixed.fixed_at == NOW + timedelta(days=1)
    kept = after[("jinja2", "3.1.2", "CVE-2024-22195")]
    assert kept.status is FindingStatus.accepted
    assert kept.status_reason == "sandboxed templates only"
    assert kept.last_upload_id == second.upload_id and kept.first_upload_id == first.upload_id

    # requests back at a vulnerable version: the fixed finding reopens, with its history.
    third = upload(
        cast,
        "grid",
        pypi("requests", "2.30.0"),
        pypi("jinja2", "3.1.2"),
        at=NOW + timedelta(days=2),
    )
    assert third.counts["reopened"] == 1
    with cast.db.read_session() as session:
        finding, events = service.get_finding(
            session,
            cast.principals["grid"],
            inventory_id=first.inventory_id,
            finding_id=fixed.id,
        )
        assert finding.status is FindingStatus.new and finding.fixed_at is None
        assert [e.kind.value for e in events] == ["opened", "fixed", "reopened"]
        assert [e.status_after for e in events] == ["new", "fixed", "new"]


def test_vex_in_the_sbom_marks_the_finding_not_affected(cast: Cast, records: None) -> None:
    vex = [
        VexStatement(
            "CVE-2024-22195", "not_affected", "code_not_reachable", refs=("pkg:pypi/jinja2@3.1.2",)
        )
    ]
    outcome = upload(cast, "grid", pypi("jinja2", "3.1.2"), vex=vex)
    assert outcome.counts["suppressed"] == 1 and outcome.counts["opened"] == 1
    found = findings(cast, "grid", outcome.inventory_id)
    ruled_out = found[("jinja2", "3.1.2", "CVE-2024-22195")]
    assert ruled_out.status is FindingStatus.not_affected
    assert ruled_out.vex_justification == "code_not_reachable"
    assert found[("jinja2", "3.1.2", "CVE-2024-34064")].status is FindingStatus.new


def test_filters_by_severity_and_status(cast: Cast, records: None) -> None:
    outcome = upload(cast, "grid", pypi("requests", "2.30.0"), pypi("jinja2", "3.1.2"))
    high = findings(cast, "grid", outcome.inventory_id, severity=Severity.HIGH)
    assert [k[2] for k in high] == ["CVE-2024-22195"]
    assert findings(cast, "grid", outcome.inventory_id, status=FindingStatus.fixed) == {}
    with cast.db.read_session() as session:
        view = service.get_inventory(
            session, cast.principals["grid"], inventory_id=outcome.inventory_id
        )
        # Most severe first.
        assert [f.severity for f in view.findings] == ["HIGH", "MEDIUM", "LOW"]
        assert view.counts == {"new": 3}


def test_only_members_and_operators_see_an_inventory(cast: Cast, records: None) -> None:
    outcome = upload(cast, "grid", pypi("requests", "2.30.0"))
    with cast.db.read_session() as session:
        for who in ("grid", "grid2", "operator"):
            service.get_inventory(session, cast.principals[who], inventory_id=outcome.inventory_id)
        # Another organisation: the same 404 as an inventory that does not exist.
        with pytest.raises(UnknownInventory) as outsider:
            service.get_inventory(
                session, cast.principals["water"], inventory_id=outcome.inventory_id
            )
        with pytest.raises(UnknownInventory) as missing:
            service.get_inventory(session, cast.principals["grid"], inventory_id=999)
        assert outsider.value.status_code == missing.value.status_code == 404
        with pytest.raises(UnknownInventory):
            service.get_inventory(session, ANONYMOUS, inventory_id=outcome.inventory_id)
        assert [
            s.inventory.name for s in service.list_inventories(session, cast.principals["water"])
        ] == []
        listed = service.list_inventories(session, cast.principals["operator"])
        assert [(s.organisation.slug, s.open_findings) for s in listed] == [("gridco", 1)]
        with pytest.raises(Unauthenticated):
            service.list_inventories(session, ANONYMOUS)


def test_uploads_need_membership_and_operators_upload_for_an_organisation(
    cast: Cast, records: None
) -> None:
    with pytest.raises(Forbidden):
        upload(cast, "water", pypi("requests", "2.30.0"), org="gridco")
    done = upload(cast, "cli", pypi("requests", "2.30.0"), org="gridco")
    assert done.organisation_id == cast.org_ids["gridco"]
    # A member's own organisation is the default.
    assert upload(cast, "grid", pypi("idna", "3.7")).inventory_id == done.inventory_id


def test_only_members_decide_and_every_decision_needs_a_reason(cast: Cast, records: None) -> None:
    outcome = upload(cast, "grid", pypi("requests", "2.30.0"))
    (finding,) = findings(cast, "grid", outcome.inventory_id).values()

    def decide(who: str, status: FindingStatus, reason: str = "", finding_id: int = finding.id):  # type: ignore[no-untyped-def]
        with cast.db.session() as session:
            return service.set_finding_status(
                session,
                cast.principals[who],
                inventory_id=outcome.inventory_id,
                finding_id=finding_id,
                status=status,
                reason=reason,
                now=NOW,
            )

    with pytest.raises(Forbidden):
        decide("operator", FindingStatus.accepted, "operators do not accept risks for others")
    with pytest.raises(UnknownInventory):
        decide("water", FindingStatus.accepted, "not theirs")
    with pytest.raises(UnknownFinding):
        decide("grid", FindingStatus.accepted, "no such finding", finding_id=finding.id + 100)
    with pytest.raises(InvalidFindingStatus):
        decide("grid", FindingStatus.accepted)
    with pytest.raises(InvalidFindingStatus):
        decide("grid", FindingStatus.fixed, "fixed is not a decision")
    decided = decide("grid", FindingStatus.not_affected, "proxies are not used")
    assert decided.decided_by == "user:analyst@gridco.example"
    assert decide("grid", FindingStatus.new).status is FindingStatus.new
    with cast.db.read_session() as session:
        events = session.scalars(select(FindingEvent).order_by(FindingEvent.id)).all()
        assert [(e.status_before, e.status_after) for e in events] == [
            (None, "new"),
            ("new", "not_affected"),
            ("not_affected", "new"),
        ]
        audited = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "inventory.finding.status")
        ).all()
        assert len(audited) == 2

    upload(cast, "grid", pypi("requests", "2.31.0"))
    with pytest.raises(Conflict):
        decide("grid", FindingStatus.accepted, "it is fixed already")


def test_an_inventory_is_matched_with_what_its_organisation_may_read(
    cast: Cast, records: None
) -> None:
    """An operator uploading for Grid Co must not put operator-only records in its findings."""
    store(cast.db, osv("GHSA-amber-1", "idna", fixed="3.8", aliases=["CVE-2099-0001"]))
    with cast.db.session() as session:
        record = session.scalars(
            select(Vulnerability).where(Vulnerability.osv_id == "GHSA-amber-1")
        ).one()
        record.tlp = Tlp.AMBER.value
        record.owner_org_id = cast.org_ids["waterco"]
    outcome = upload(cast, "cli", pypi("idna", "3.7"), org="gridco")
    assert outcome.counts["opened"] == 0
    mine = upload(cast, "water", pypi("idna", "3.7"))
    assert mine.counts["opened"] == 1


def test_inventory_names_are_checked(cast: Cast, db: Database) -> None:
    from clearinghouse.sbom.errors import InventoryError

    for bad in ("", "   ", "x" * 201, "tab\tname"):
        with pytest.raises(InventoryError):
            upload(cast, "grid", pypi("idna", "3.7"), inventory=bad)
    with db.read_session() as session:
        assert session.scalars(select(InventoryFinding)).all() == []
