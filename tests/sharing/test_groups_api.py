"""Sharing groups over the real app: operators manage them, members read them, all audited."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.audit.models import AuditEvent
from clearinghouse.formats.osv import validate_osv
from clearinghouse.identity.models import OrgKind, Role, User
from clearinghouse.identity.principal import principal_for
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.identity.tokens import create_token
from clearinghouse.intake.parse import record_from_osv
from clearinghouse.intake.upsert import write_records
from clearinghouse.reports.models import DiscoveredBy
from clearinghouse.reports.service import create_report
from clearinghouse.sbom.models import InventoryFinding
from clearinghouse.sbom.service import upload_sbom
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

ORGS = {
    "ops": OrgKind.operator,
    "gridco": OrgKind.critical_infrastructure,
    "acme": OrgKind.vendor,
    "initech": OrgKind.vendor,
}
PEOPLE = {
    "operator": ("ops@ops.example", "ops", Role.operator),
    "named": ("soc@gridco.example", "gridco", Role.partner),
    "member": ("desk@gridco.example", "gridco", Role.partner),
    "acme": ("psirt@acme.example", "acme", Role.vendor),
    "outsider": ("psirt@initech.example", "initech", Role.vendor),
}


@dataclass
class Api:
    client: TestClient
    db: Database
    tokens: dict[str, str]

    def call(self, role: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)


@pytest.fixture
def api(db: Database, db_url: str) -> Iterator[Api]:
    tokens: dict[str, str] = {}
    with db.session() as session:
        for slug, kind in ORGS.items():
            create_organisation(session, slug=slug, name=slug.title(), kind=kind, actor="test")
        for role, (email, org, user_role) in PEOPLE.items():
            user = create_user(session, email=email, org_slug=org, role=user_role, actor="test")
            _, tokens[role] = create_token(session, user=user, name="t", actor="test")
    app = create_app(Settings(database_url=db_url, secret_key="t"), db)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, db, tokens)


def _group(api: Api) -> None:
    created = api.call(
        "operator", "POST", "/sharing-groups", json={"slug": "energy-isac", "name": "Energy ISAC"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["members"] == []
    for body in (
        {"organisation": "gridco"},
        {"organisation": "gridco", "user": PEOPLE["named"][0]},
    ):
        response = api.call("operator", "POST", "/sharing-groups/energy-isac/members", json=body)
        assert response.status_code == 201, response.text


def test_operators_manage_groups_and_members_read_them(api: Api) -> None:
    _group(api)
    shown = api.call("member", "GET", "/sharing-groups/energy-isac")
    assert shown.status_code == 200
    assert shown.json()["members"] == [
        {"organisation": "gridco", "organisation_name": "Gridco", "user": None},
        {"organisation": "gridco", "organisation_name": "Gridco", "user": "soc@gridco.example"},
    ]
    for role in ("operator", "member", "named"):
        listed = api.call(role, "GET", "/sharing-groups").json()
        assert [g["slug"] for g in listed] == ["energy-isac"], role
    # Outsiders learn nothing: an empty list, and the 404 of a group that does not exist.
    assert api.call("outsider", "GET", "/sharing-groups").json() == []
    hidden = api.call("outsider", "GET", "/sharing-groups/energy-isac")
    missing = api.call("outsider", "GET", "/sharing-groups/no-such-group")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["title"] == missing.json()["title"]
    assert api.call(None, "GET", "/sharing-groups").status_code == 401

    # Removing the organisation keeps the named person, who alone still reads the group.
    removed = api.call(
        "operator",
        "DELETE",
        "/sharing-groups/energy-isac/members",
        params={"organisation": "gridco"},
    )
    assert removed.status_code == 200, removed.text
    assert [m["user"] for m in removed.json()["members"]] == ["soc@gridco.example"]
    assert api.call("member", "GET", "/sharing-groups/energy-isac").status_code == 404
    assert api.call("named", "GET", "/sharing-groups/energy-isac").status_code == 200

    with api.db.read_session() as session:
        actions = session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("sharing_group.%"))
            .order_by(AuditEvent.seq)
        ).all()
    assert actions == [
        "sharing_group.create",
        "sharing_group.member_add",
        "sharing_group.member_add",
        "sharing_group.member_remove",
    ]


def test_only_operators_change_groups(api: Api) -> None:
    _group(api)
    for role in ("named", "member", "acme"):
        response = api.call(role, "POST", "/sharing-groups", json={"slug": "mine", "name": "Mine"})
        assert response.status_code == 403, (role, response.text)
        response = api.call(
            role, "POST", "/sharing-groups/energy-isac/members", json={"organisation": role}
        )
        assert response.status_code == 403, (role, response.text)
    assert (
        api.call(None, "POST", "/sharing-groups", json={"slug": "x1", "name": "X"}).status_code
        == 401
    )


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/sharing-groups", {"slug": "Bad Slug", "name": "x"}, 422, "invalid sharing group slug"),
        ("/sharing-groups", {"slug": "energy-isac", "name": "again"}, 409, "already exists"),
        ("/sharing-groups", {"slug": "blank", "name": "   "}, 422, "name: must not be empty"),
        ("/sharing-groups/energy-isac/members", {"organisation": "nope"}, 404, "no organisation"),
        (
            "/sharing-groups/energy-isac/members",
            {"organisation": "gridco", "user": "nobody@gridco.example"},
            404,
            "no user",
        ),
        (
            "/sharing-groups/energy-isac/members",
            {"organisation": "gridco", "user": "psirt@acme.example"},
            422,
            "belongs to 'acme', not 'gridco'",
        ),
        ("/sharing-groups/energy-isac/members", {"organisation": "gridco"}, 409, "already"),
        ("/sharing-groups/no-group/members", {"organisation": "gridco"}, 404, "no sharing group"),
    ],
)
def test_clear_errors(api: Api, path: str, body: dict[str, str], status: int, says: str) -> None:
    _group(api)
    response = api.call("operator", "POST", path, json=body)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]


def test_removing_someone_who_is_not_a_member_is_a_404(api: Api) -> None:
    _group(api)
    response = api.call(
        "operator", "DELETE", "/sharing-groups/energy-isac/members", params={"organisation": "acme"}
    )
    assert response.status_code == 404
    assert "acme is not a member" in response.json()["detail"]


# --- labels --------------------------------------------------------------------------------


def _vuln(api: Api, osv_id: str = "OSV-2099-LABEL1") -> str:
    document = {"id": osv_id, "modified": "2026-01-01T00:00:00Z", "summary": "labelled"}
    with api.db.session() as session:
        write_records(
            session,
            [record_from_osv(validate_osv(document), source="t", source_file="t")],
            actor="test",
        )
    return osv_id


def test_operators_label_vulnerabilities_and_the_label_decides_who_reads(api: Api) -> None:
    _group(api)
    osv_id = _vuln(api)
    body = {
        "tlp": "tlp:amber",
        "sharing_group": "energy-isac",
        "owner": "acme",
        "embargo_ends_at": "2099-01-01T00:00:00Z",
    }
    for role in ("acme", "member"):
        assert api.call(role, "PUT", f"/vulns/{osv_id}/label", json=body).status_code == 403
    labelled = api.call("operator", "PUT", f"/vulns/{osv_id}/label", json=body)
    assert labelled.status_code == 200, labelled.text
    assert labelled.json() == {
        "tlp": "AMBER",
        "sharing_group": "energy-isac",
        "owner": "acme",
        "embargo_ends_at": "2099-01-01T00:00:00Z",
    }
    # Under embargo, the owner and the designated partners read it; nobody else does.
    for role, status in (("acme", 200), ("member", 200), ("named", 200), ("outsider", 404)):
        response = api.call(role, "GET", f"/vulns/{osv_id}")
        assert response.status_code == status, (role, response.text)
    assert api.call(None, "GET", f"/vulns/{osv_id}").status_code == 404
    # RED: the owner and the named person only.
    api.call("operator", "PUT", f"/vulns/{osv_id}/label", json={**body, "tlp": "RED"})
    for role, status in (("acme", 200), ("named", 200), ("member", 404), ("operator", 404)):
        assert api.call(role, "GET", f"/vulns/{osv_id}").status_code == status, role
    with api.db.read_session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "vulnerability.label")
        ).all()
    assert [e.subject_id for e in events] == [osv_id, osv_id]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"tlp": "ORANGE"}, 422, "unknown TLP label 'ORANGE'"),
        ({"tlp": "AMBER", "sharing_group": "no-such"}, 404, "no sharing group 'no-such'"),
        ({"tlp": "AMBER", "owner": "nobody"}, 422, "owner: no organisation 'nobody'"),
        ({"tlp": "AMBER", "embargo_ends_at": "2099-01-01T00:00:00"}, 422, "time zone"),
    ],
)
def test_labels_are_validated(api: Api, body: dict[str, str], status: int, says: str) -> None:
    osv_id = _vuln(api)
    response = api.call("operator", "PUT", f"/vulns/{osv_id}/label", json=body)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert (
        api.call("operator", "PUT", "/vulns/OSV-2099-NONE/label", json={"tlp": "RED"}).status_code
        == 404
    )


def test_a_reporter_shares_its_report_with_a_group_read_only(api: Api) -> None:
    _group(api)
    with api.db.session() as session:
        reporter = session.scalar(select(User).where(User.email == PEOPLE["acme"][0]))
        assert reporter is not None
        report = create_report(
            session,
            title="Overflow",
            description="steps",
            submitted_by=f"user:{reporter.email}",
            submitted_by_user_id=reporter.id,
            reporter_org_id=reporter.organisation_id,
            discovered_by=DiscoveredBy.person,
            tlp="AMBER",
            now=datetime.now(UTC),
        )
        report_id = report.id
    for role in ("member", "named", "outsider"):
        assert api.call(role, "GET", f"/reports/{report_id}").status_code == 404, role
    # Nobody but its reporter and the analysts may label it; outsiders do not learn it exists.
    shared = {"tlp": "AMBER", "sharing_group": "energy-isac"}
    assert (
        api.call("outsider", "PUT", f"/reports/{report_id}/label", json=shared).status_code == 404
    )
    labelled = api.call("acme", "PUT", f"/reports/{report_id}/label", json=shared)
    assert labelled.json() == {
        "tlp": "AMBER",
        "sharing_group": "energy-isac",
        "owner": None,
        "embargo_ends_at": None,
    }
    for role in ("member", "named"):
        shown = api.call(role, "GET", f"/reports/{report_id}")
        assert shown.status_code == 200 and shown.json()["view"] == "reporter", role
        listed = api.call(role, "GET", "/reports").json()
        assert [r["id"] for r in listed["reports"]] == [report_id], role
        # Read-only: a recipient neither relabels nor triages it.
        assert api.call(role, "PUT", f"/reports/{report_id}/label", json=shared).status_code == 403
    assert api.call("outsider", "GET", f"/reports/{report_id}").status_code == 404
    # RED: the named person only, besides the reporter and the analysts.
    api.call("acme", "PUT", f"/reports/{report_id}/label", json={**shared, "tlp": "RED"})
    assert api.call("member", "GET", f"/reports/{report_id}").status_code == 404
    assert api.call("named", "GET", f"/reports/{report_id}").status_code == 200
    assert api.call("operator", "GET", f"/reports/{report_id}").json()["view"] == "analyst"


def test_inventories_of_member_organisations_are_matched_under_the_label(api: Api) -> None:
    """Relabelling a record, and an organisation joining a group, match inventories again."""
    api.call("operator", "POST", "/sharing-groups", json={"slug": "energy-isac", "name": "E"})
    document = {
        "id": "OSV-2099-MATCH1",
        "modified": "2026-01-01T00:00:00Z",
        "summary": "shared flaw",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "gridlib"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}],
            }
        ],
    }
    _vuln_document(api, document)
    strict = {"tlp": "AMBER+STRICT", "owner": "acme"}
    api.call("operator", "PUT", "/vulns/OSV-2099-MATCH1/label", json=strict)
    with api.db.session() as session:
        member = session.scalar(select(User).where(User.email == PEOPLE["member"][0]))
        assert member is not None
        inventory_id = upload_sbom(
            session,
            principal_for(member),
            inventory="plant",
            data=b"gridlib==1.0\n",
            filename="requirements.txt",
            now=datetime.now(UTC),
        ).inventory_id

    def findings() -> list[tuple[str, str]]:
        with api.db.read_session() as session:
            rows = session.execute(
                select(InventoryFinding.primary_id, InventoryFinding.status).where(
                    InventoryFinding.inventory_id == inventory_id
                )
            ).all()
        return [(osv_id, status.value) for osv_id, status in rows]

    assert findings() == []  # AMBER+STRICT: Acme's alone
    shared = {"tlp": "AMBER", "sharing_group": "energy-isac", "owner": "acme"}
    api.call("operator", "PUT", "/vulns/OSV-2099-MATCH1/label", json=shared)
    assert findings() == []  # Gridco is not in the group yet
    api.call(
        "operator", "POST", "/sharing-groups/energy-isac/members", json={"organisation": "gridco"}
    )
    assert findings() == [("OSV-2099-MATCH1", "new")]
    # Naming a person opens RED to that person, never to the organisation's inventory.
    api.call(
        "operator",
        "POST",
        "/sharing-groups/energy-isac/members",
        json={"organisation": "gridco", "user": PEOPLE["named"][0]},
    )
    api.call("operator", "PUT", "/vulns/OSV-2099-MATCH1/label", json={**shared, "tlp": "RED"})
    # The matcher no longer matches it for Gridco: the finding closes (as "fixed", the
    # matcher's one word for "no longer matches").
    assert findings() == [("OSV-2099-MATCH1", "fixed")]


def _vuln_document(api: Api, document: dict[str, Any]) -> None:
    with api.db.session() as session:
        write_records(
            session,
            [record_from_osv(validate_osv(document), source="t", source_file="t")],
            actor="test",
        )


def test_a_reporter_names_the_group_at_submission(api: Api) -> None:
    _group(api)
    body = {
        "title": "Overflow in gridlib",
        "description": "A long frame overflows the parser.",
        "tlp": "RED",
        "sharing_group": "energy-isac",
    }
    submitted = api.call("acme", "POST", "/reports", json=body)
    assert submitted.status_code == 201, submitted.text
    report_id = submitted.json()["reports"][0]["id"]
    assert api.call("named", "GET", f"/reports/{report_id}").status_code == 200
    assert api.call("member", "GET", f"/reports/{report_id}").status_code == 404
    unknown = api.call("acme", "POST", "/reports", json={**body, "sharing_group": "nope"})
    assert unknown.status_code == 404 and "no sharing group 'nope'" in unknown.json()["detail"]
    listed = api.call("operator", "GET", "/reports").json()["reports"]
    assert [r["id"] for r in listed] == [report_id]  # the refused one left nothing behind
