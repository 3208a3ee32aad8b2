"""A whole review over HTTP, step by step, asserting at each step what every role sees.

`walk_review` is the scenario of issue 6's first acceptance test; the credential and
forbidden-word tests walk it too and then search everything it produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from clearinghouse.reports.models import DiscoveredBy, Report
from clearinghouse.review.models import ModelVersion, Notification

from .conftest import START, World

DAY = timedelta(days=1)
RELEASE_AT = START + 45 * DAY
MODEL_CREDENTIAL = "sk-frontier-SECRET-5b1e0c7d-do-not-leak"
RESTRICTED_NOTE = "RESTRICTED-NOTE: the model chained three bugs into a sandbox escape"
RESTRICTED_FINDING = "RESTRICTED-FINDING: autonomous exploitation of a hypervisor"
OUTSIDERS = ("outsider_partner", "outsider_developer")


@dataclass(frozen=True)
class Walked:
    model_id: int
    version_id: int
    review_id: int
    grant_credential: str
    report_id: int


def iso(moment: datetime) -> str:
    return moment.isoformat()


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def views(world: World, review_id: int) -> dict[str, Any]:
    """GET /reviews/{id} as every role: the body for those who see it, the status otherwise."""
    seen: dict[str, Any] = {}
    for role in world.tokens:
        response = world.call(role, "GET", f"/reviews/{review_id}")
        seen[role] = response.json() if response.status_code == 200 else response.status_code
    anonymous = world.call(None, "GET", f"/reviews/{review_id}")
    seen["anonymous"] = anonymous.status_code
    return seen


def assert_unseen(seen: dict[str, Any], *roles: str) -> None:
    for role in roles:
        assert seen[role] == 404, (role, seen[role])


def notifications(world: World, kind: str) -> set[int | None]:
    with world.db.read_session() as session:
        return set(
            session.scalars(
                select(Notification.organisation_id).where(Notification.kind == kind)
            ).all()
        )


def walk_review(world: World) -> Walked:
    org = world.org_ids

    # 1. The developer registers a model and a version with API access and a credential.
    model = world.ok("developer", "POST", "/models", {"name": "Frontier-1"}, 201)
    assert world.call("outsider_partner", "POST", "/models", {"name": "x"}).status_code == 403
    version_body = {
        "version": "1.0",
        "planned_release_at": iso(RELEASE_AT),
        "access_kind": "api",
        "api_base_url": "https://api.frontierlab.example/v1",
        "api_credential": MODEL_CREDENTIAL,
        "modalities": ["text", "code"],
        "declared_training_compute_flop": 3.1e26,
    }
    version = world.ok("developer", "POST", f"/models/{model['id']}/versions", version_body, 201)
    assert version["credential_set"] is True
    assert "api_credential" not in version
    for role in ("outsider_developer", "reviewer", "partner"):
        response = world.call(role, "POST", f"/models/{model['id']}/versions", version_body)
        assert response.status_code == 404, role
    listed = {m["name"] for m in world.ok("outsider_developer", "GET", "/models")}
    assert "Frontier-1" not in listed
    assert [m["name"] for m in world.ok("developer", "GET", "/models")] == ["Frontier-1"]

    # 2. Submission, 45 days before release: the window is 30 days.
    review = world.ok("developer", "POST", "/reviews", {"model_version_id": version["id"]}, 201)
    rid = review["id"]
    assert review["status"] == "open"
    assert at(review["window_closes_at"]) == START + 30 * DAY
    assert "voluntary" in review["voluntary_notice"].lower()
    assert "never blocks, delays or approves a release" in review["voluntary_notice"]
    assert notifications(world, "review.submitted") == {org["frontierlab"], None}
    seen = views(world, rid)
    assert seen["developer"]["view"] == "developer"
    assert "notes" not in seen["developer"]
    assert seen["operator"]["view"] == "reviewer"
    assert seen["operator"]["model_version"]["credential_set"] is True
    assert seen["anonymous"] == 401
    # Not yet assigned: the agency does not know the review exists.
    assert_unseen(seen, "reviewer", "reviewer2", "partner", "partner2", *OUTSIDERS)
    assert [r["id"] for r in world.ok("developer", "GET", "/reviews")] == [rid]
    assert world.ok("reviewer", "GET", "/reviews") == []

    # 3. The operator assigns the agency and a named reviewer.
    world.clock.advance(DAY)
    assignment = {"organisation": "cisa", "reviewer_email": world.emails["reviewer"]}
    assert (
        world.call("developer", "POST", f"/reviews/{rid}/assignments", assignment).status_code
        == 403
    )
    assert (
        world.call(
            "outsider_developer", "POST", f"/reviews/{rid}/assignments", assignment
        ).status_code
        == 404
    )
    world.ok("operator", "POST", f"/reviews/{rid}/assignments", assignment, 201)
    seen = views(world, rid)
    assert seen["reviewer"]["view"] == "reviewer"
    assert seen["reviewer2"]["view"] == "reviewer"  # the whole agency reviews
    assert seen["reviewer"]["notes"] == []
    assert_unseen(seen, "partner", "partner2", *OUTSIDERS)

    # 4. Reviewers plan the checklist, due inside the window only.
    checklist = [
        ("benchmark_battery", "Cyber benchmark battery", 10),
        ("red_team", "Red-team session: exploit development", 20),
        ("partner_testing", "Partner testing: OT protocols", 25),
    ]
    activity_ids = []
    for kind, title, day in checklist:
        body = {"kind": kind, "title": title, "due_at": iso(START + day * DAY)}
        activity_ids.append(
            world.ok("reviewer", "POST", f"/reviews/{rid}/activities", body, 201)["id"]
        )
    late = {"kind": "other", "title": "After the window", "due_at": iso(START + 31 * DAY)}
    assert world.call("reviewer", "POST", f"/reviews/{rid}/activities", late).status_code == 422
    assert world.call("developer", "POST", f"/reviews/{rid}/activities", late).status_code == 403
    done = {"status": "done", "result_summary": "42 of 60 tasks solved"}
    updated = world.ok("reviewer2", "PATCH", f"/reviews/{rid}/activities/{activity_ids[0]}", done)
    assert updated["status"] == "done"
    seen = views(world, rid)
    assert len(seen["developer"]["activities"]) == 3  # the developer follows the checklist

    # 5. The agency proposes Grid Co; the developer consents; Grid Co accepts.
    proposal = world.ok("reviewer", "POST", f"/reviews/{rid}/partners", {"partner": "gridco"}, 201)
    assert proposal["status"] == "proposed"
    did = proposal["id"]
    assert world.call("partner", "POST", f"/partner-designations/{did}/accept").status_code == 409
    assert world.call("reviewer", "POST", f"/partner-designations/{did}/consent").status_code == 403
    assert (
        world.call("outsider_developer", "POST", f"/partner-designations/{did}/consent").status_code
        == 404
    )
    assert (
        world.ok("developer", "POST", f"/partner-designations/{did}/consent")["status"]
        == "consented"
    )
    assert_unseen(views(world, rid), "partner")  # not a party until it accepts
    assert (
        world.call("outsider_partner", "POST", f"/partner-designations/{did}/accept").status_code
        == 404
    )
    assert (
        world.ok("partner", "POST", f"/partner-designations/{did}/accept")["status"] == "accepted"
    )
    assert notifications(world, "partner.accepted") == {org["frontierlab"], org["gridco"]}
    # The developer proposes Water Co itself (its own consent), and Water Co accepts.
    water = world.ok("developer", "POST", f"/reviews/{rid}/partners", {"partner": "waterco"}, 201)
    assert water["status"] == "consented"
    world.ok("partner2", "POST", f"/partner-designations/{water['id']}/accept")
    seen = views(world, rid)
    assert seen["partner"]["view"] == "partner"
    assert [d["partner_org_id"] for d in seen["partner"]["designations"]] == [org["gridco"]]
    for hidden in ("notes", "activities", "assignments", "model_version"):
        assert hidden not in seen["partner"], hidden
    assert len(seen["developer"]["designations"]) == 2
    assert_unseen(seen, *OUTSIDERS)

    # 6. The developer gives both partners time-limited access; the credential shows once.
    grant_body = {"scope": "OT protocol fuzzing", "ends_at": iso(START + 25 * DAY)}
    too_long = {**grant_body, "ends_at": iso(START + 31 * DAY)}
    assert (
        world.call("developer", "POST", f"/partner-designations/{did}/grants", too_long).status_code
        == 422
    )
    assert (
        world.call("partner", "POST", f"/partner-designations/{did}/grants", grant_body).status_code
        == 403
    )
    grant = world.ok("developer", "POST", f"/partner-designations/{did}/grants", grant_body, 201)
    assert grant["credential"].startswith("chg_") and grant["active"] is True
    water_grant = world.ok(
        "developer", "POST", f"/partner-designations/{water['id']}/grants",
        {"scope": "Water SCADA", "ends_at": iso(START + 20 * DAY)}, 201,
    )  # fmt: skip
    seen = views(world, rid)
    assert [g["id"] for g in seen["partner"]["grants"]] == [grant["id"]]
    assert [g["id"] for g in seen["partner2"]["grants"]] == [water_grant["id"]]
    assert {g["id"] for g in seen["developer"]["grants"]} == {grant["id"], water_grant["id"]}
    for role in ("partner", "developer", "operator"):
        for shown in seen[role]["grants"]:
            assert "credential" not in shown
    assert grant["credential"] not in str(seen)

    # 7. Grid Co finds a vulnerability: it becomes a clearinghouse report with provenance.
    world.clock.advance(5 * DAY)
    vuln = {
        "kind": "vulnerability",
        "title": "Heap overflow in the Modbus frame parser",
        "description": "The model found an out-of-bounds write reachable from one frame.",
        "severity": "high",
        "package_ecosystem": "PyPI",
        "package_name": "pymodbus",
        "affected_versions": "<3.6.9",
        "cwe": "CWE-787",
    }
    assert (
        world.call("outsider_partner", "POST", f"/reviews/{rid}/findings", vuln).status_code == 404
    )
    assert world.call("developer", "POST", f"/reviews/{rid}/findings", vuln).status_code == 403
    restricted_by_partner = {**vuln, "restricted": True}
    assert (
        world.call("partner", "POST", f"/reviews/{rid}/findings", restricted_by_partner).status_code
        == 422
    )
    finding = world.ok("partner", "POST", f"/reviews/{rid}/findings", vuln, 201)
    assert finding["report_id"] is not None and finding["report_status"] == "received"
    with world.db.read_session() as session:
        report = session.get(Report, finding["report_id"])
        assert report is not None
        assert report.discovered_by is DiscoveredBy.model
        assert report.discovered_by_model_version_id == version["id"]
        assert report.discovered_during_review_id == rid
        assert report.submitted_by == f"user:{world.emails['partner']}"
        assert report.reporter_org_id == org["gridco"]
        assert (report.package_ecosystem, report.package_name) == ("PyPI", "pymodbus")
    seen = views(world, rid)
    assert [f["id"] for f in seen["partner"]["findings"]] == [finding["id"]]
    assert seen["partner2"]["findings"] == []  # Water Co sees its own findings only
    assert seen["developer"]["findings"][0]["report_status"] == "received"

    # 8. The developer revokes Grid Co's access at once: no more findings from it.
    assert world.call("partner", "POST", f"/grants/{grant['id']}/revoke").status_code == 403
    assert (
        world.call("outsider_developer", "POST", f"/grants/{grant['id']}/revoke").status_code == 404
    )
    revoked = world.ok("developer", "POST", f"/grants/{grant['id']}/revoke")
    assert revoked["active"] is False and revoked["revoked_at"] is not None
    assert world.call("partner", "POST", f"/reviews/{rid}/findings", vuln).status_code == 403
    seen = views(world, rid)
    assert seen["partner"]["grants"][0]["active"] is False
    assert seen["partner2"]["grants"][0]["active"] is True  # Water Co's access is untouched

    # 9. Reviewers keep a restricted note and a restricted finding: never the developer's.
    assert (
        world.call("developer", "POST", f"/reviews/{rid}/notes", {"body": "x"}).status_code == 403
    )
    assert world.call("partner", "POST", f"/reviews/{rid}/notes", {"body": "x"}).status_code == 403
    world.ok("reviewer", "POST", f"/reviews/{rid}/notes", {"body": RESTRICTED_NOTE}, 201)
    secret_finding = {
        "kind": "capability",
        "title": RESTRICTED_FINDING,
        "description": RESTRICTED_FINDING,
        "restricted": True,
    }
    world.ok("reviewer2", "POST", f"/reviews/{rid}/findings", secret_finding, 201)
    seen = views(world, rid)
    assert [n["body"] for n in seen["reviewer"]["notes"]] == [RESTRICTED_NOTE]
    assert [n["body"] for n in seen["operator"]["notes"]] == [RESTRICTED_NOTE]
    for role in ("developer", "partner", "partner2"):
        assert "notes" not in seen[role]
        assert RESTRICTED_NOTE not in str(seen[role]) and RESTRICTED_FINDING not in str(seen[role])
    assert len(seen["reviewer"]["findings"]) == 2
    assert len(seen["developer"]["findings"]) == 1

    # 10. Day 30: the window elapses and the review closes with what it has.
    world.clock.set(START + 30 * DAY)
    seen = views(world, rid)
    closed = seen["developer"]
    assert closed["status"] == "closed" and closed["close_reason"] == "window_elapsed"
    assert at(closed["closed_at"]) == START + 30 * DAY
    assert at(closed["model_version"]["planned_release_at"]) == RELEASE_AT
    assert seen["partner2"]["grants"][0]["active"] is False  # access ends with the window
    assert_unseen(seen, *OUTSIDERS)
    assert world.call("reviewer", "POST", f"/reviews/{rid}/findings", vuln).status_code == 409
    assert notifications(world, "review.closed") == {
        org["frontierlab"], org["cisa"], org["gridco"], org["waterco"], None,
    }  # fmt: skip
    with world.db.read_session() as session:
        stored = session.get(ModelVersion, version["id"])
        assert stored is not None and stored.planned_release_at == RELEASE_AT
    return Walked(model["id"], version["id"], rid, grant["credential"], finding["report_id"])
