"""A case from opening to publication over HTTP, with a manual clock, on both databases."""

from __future__ import annotations

from datetime import datetime

import orjson
from sqlalchemy import select

from clearinghouse.audit import verify
from clearinghouse.audit.models import AuditEvent
from clearinghouse.review.models import Notification
from clearinghouse.vulnerabilities.models import Vulnerability

from .conftest import DAY, EMBARGO_DAYS, START, World
from .scenario import CVSS, MARKER, PACKAGE, iso, open_cases, triaged_report


def at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_opening_takes_validated_reports_from_coordinators_only(world: World) -> None:
    cases = open_cases(world)
    triaged = triaged_report(world)
    refused = world.call("operator", "POST", "/cases", {"report_ids": [triaged]})
    assert refused.status_code == 409
    assert f"report {triaged} is triaged, not validated" in refused.json()["detail"]
    again = world.call("operator", "POST", "/cases", {"report_ids": [cases.reports[0]]})
    assert again.status_code == 409 and f"already in case {cases.a}" in again.json()["detail"]
    missing = world.call("operator", "POST", "/cases", {"report_ids": [9999]})
    assert missing.status_code == 404
    for role in ("vendor_a", "reporter"):
        assert world.call(role, "POST", "/cases", {"report_ids": [triaged]}).status_code == 403
    assert world.call(None, "POST", "/cases", {"report_ids": [triaged]}).status_code == 401
    bad = world.call(
        "operator",
        "POST",
        "/cases",
        {"report_ids": [triaged], "affected_versions": "<2"},  # checked after the report
    )
    assert bad.status_code == 409  # the report is refused first, whatever the fields


def test_fields_are_checked_and_name_the_field_at_fault(world: World) -> None:
    cases = open_cases(world)
    case = world.ok("operator", "GET", f"/cases/{cases.a}")
    assert case["severity"] == "CRITICAL" and case["cvss_vector"] == CVSS
    assert case["package_ecosystem"] == "PyPI" and case["package_name"] == PACKAGE
    assert case["tlp"] == "CLEAR" and case["status"] == "vendor_notified"
    assert case["view"] == "coordinator" and [r["id"] for r in case["reports"]] == list(
        cases.reports[:2]
    )
    for changes, field in (
        ({"affected_versions": ">=1.0 >=2.0"}, "affected_versions"),
        ({"affected_versions": ">1.0"}, "affected_versions"),
        ({"package_ecosystem": "pypi"}, "package_ecosystem"),
        ({"cvss_vector": "CVSS:3.1/AV:X"}, "cvss_vector"),
        ({"severity": "LOW"}, "severity"),
        ({"tlp": "PURPLE"}, "tlp"),
        ({"cwe": "787"}, "cwe"),
        ({"embargo_ends_at": iso(START + 1000 * DAY)}, "embargo_ends_at"),
        ({"title": "  "}, "title"),
    ):
        response = world.call("operator", "PATCH", f"/cases/{cases.a}", changes)
        assert response.status_code == 422, (changes, response.text)
        assert response.json()["detail"].startswith(f"{field}: "), response.json()
        assert response.json()["path"] == f"$.{field}"
    naive = world.call(
        "operator", "PATCH", f"/cases/{cases.a}", {"embargo_ends_at": "2030-01-01T00:00:00"}
    )
    assert naive.status_code == 422 and "time zone" in naive.json()["detail"]
    too_long = world.call("operator", "PATCH", f"/cases/{cases.a}", {"description": "x" * 100_001})
    assert too_long.status_code == 422
    assert world.call("vendor_a", "PATCH", f"/cases/{cases.a}", {"title": "x"}).status_code == 403
    updated = world.ok(
        "operator",
        "PATCH",
        f"/cases/{cases.a}",
        {"affected_versions": ">=2.0, <2.4.1", "cve_id": "cve-2031-12345"},
    )
    assert updated["affected_versions"] == ">=2.0, <2.4.1" and updated["cve_id"] == "CVE-2031-12345"


def test_a_case_from_invitation_to_publication(world: World) -> None:
    cases = open_cases(world)
    a = cases.a
    case = world.ok("vendor_a", "GET", f"/cases/{a}")
    assert case["view"] == "vendor" and case["reports"] == []  # reports are coordinators' own
    assert [v["organisation"] for v in case["vendors"]] == ["acme"]
    assert [s["status"] for s in case["statements"]] == ["affected"]
    thread = [(m["depth"], m["parent_id"]) for m in case["messages"]]
    assert thread == [(0, None), (1, cases.message_id)]
    assert case["embargo_in_force"] is True and case["embargo_days_left"] == EMBARGO_DAYS - 1

    # Invitations: vendors only, once each; the vendor organisation hears of it.
    assert (
        world.call("operator", "POST", f"/cases/{a}/vendors", {"organisation": "acme"}).status_code
        == 409
    )
    assert (
        world.call("operator", "POST", f"/cases/{a}/vendors", {"organisation": "lab"}).status_code
        == 422
    )
    assert (
        world.call("operator", "POST", f"/cases/{a}/vendors", {"organisation": "nope"}).status_code
        == 404
    )
    assert (
        world.call(
            "vendor_a", "POST", f"/cases/{a}/vendors", {"organisation": "initech"}
        ).status_code
        == 403
    )
    with world.db.read_session() as session:
        invited = session.scalars(
            select(Notification.organisation_id).where(Notification.kind == "case.invited")
        ).all()
    assert sorted(invited) == sorted([world.org_ids["acme"], world.org_ids["globex"]])

    # A reply must answer a message of the same case.
    other = world.ok("operator", "POST", f"/cases/{cases.b}/messages", {"body": "hello B"}, 201)
    stray = world.call(
        "vendor_a", "POST", f"/cases/{a}/messages", {"body": "x", "parent_id": other["id"]}
    )
    assert stray.status_code == 404 and stray.json()["detail"].startswith("parent_id: ")

    # Coordinators record a statement for a vendor; a vendor states for itself only.
    assert (
        world.call(
            "operator", "POST", f"/cases/{a}/statements", {"status": "affected", "versions": "1"}
        ).status_code
        == 422
    )
    foreign = {"status": "fixed", "versions": "2.4.1", "vendor": "globex"}
    assert world.call("vendor_a", "POST", f"/cases/{a}/statements", foreign).status_code == 403
    assert world.call("operator", "POST", f"/cases/{a}/statements", foreign).status_code == 404
    assert (
        world.call("vendor_a", "POST", f"/cases/{a}/statements", {"status": "fixed"}).status_code
        == 422
    )
    assert (
        world.call(
            "vendor_a_reporter", "POST", f"/cases/{a}/statements", {"status": "not_affected"}
        ).status_code
        == 403
    )

    # A fix: the case moves to fix_available by itself.
    world.clock.advance(3 * DAY)
    world.ok(
        "vendor_a", "POST", f"/cases/{a}/statements", {"status": "fixed", "versions": "2.4.1"}, 201
    )
    case = world.ok("operator", "GET", f"/cases/{a}")
    assert case["status"] == "fix_available"
    assert [s["current"] for s in case["statements"]] == [False, True]

    # Publishing waits for the embargo; moving backwards is refused.
    early = world.call("operator", "POST", f"/cases/{a}/transitions", {"to": "published"})
    assert early.status_code == 409 and "under embargo until" in early.json()["detail"]
    back = world.call("operator", "POST", f"/cases/{a}/transitions", {"to": "open"})
    assert back.status_code == 409 and "may move to published, closed" in back.json()["detail"]
    assert (
        world.call("vendor_a", "POST", f"/cases/{a}/transitions", {"to": "closed"}).status_code
        == 403
    )

    # The draft advisory is a detail of the case: its parties read it.
    draft = world.ok("vendor_a", "GET", f"/cases/{a}/advisory-draft")
    assert draft["final"] is False and MARKER in draft["markdown"]
    assert draft["osv"]["affected"][0]["ranges"] == [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.4.1"}]}
    ]

    # The embargo passes: the coordinator publishes.
    world.clock.set(START + EMBARGO_DAYS * DAY)
    published = world.ok("operator", "POST", f"/cases/{a}/transitions", {"to": "published"})
    assert published["status"] == "published" and published["osv_id"] == f"x_CLEARINGHOUSE-CASE-{a}"
    assert at(published["published_at"]) == START + EMBARGO_DAYS * DAY
    advisory = world.ok("vendor_b", "GET", f"/advisories/{a}")  # TLP:CLEAR, embargo over
    assert advisory["final"] is True and MARKER in advisory["markdown"]
    assert "Acme Software" in advisory["markdown"] and "Fixed" in advisory["markdown"]
    assert advisory["osv"]["id"] == published["osv_id"]
    markdown = world.call(None, "GET", f"/advisories/{a}/advisory.md")
    assert markdown.status_code == 200 and markdown.headers["content-type"].startswith(
        "text/markdown"
    )
    osv = orjson.loads(world.call(None, "GET", f"/advisories/{a}/osv.json").content)
    assert osv["database_specific"]["tlp"] == "CLEAR"
    with world.db.read_session() as session:
        stored = session.scalars(
            select(Vulnerability).where(Vulnerability.osv_id == osv["id"])
        ).one()
        assert (stored.tlp, stored.owner_org_id) == ("CLEAR", world.org_ids["ops"])
        assert stored.embargo_ends_at == START + EMBARGO_DAYS * DAY
        assert orjson.loads(stored.document)["summary"] == published["title"]
    # What was published is not rewritten, and a passed embargo does not return.
    frozen = world.call("operator", "PATCH", f"/cases/{a}", {"title": "Other"})
    assert frozen.status_code == 409
    again = world.call(
        "operator", "PATCH", f"/cases/{a}", {"embargo_ends_at": iso(START + 40 * DAY)}
    )
    assert again.status_code == 409 and "cannot return" in again.json()["detail"]

    # Closing: the case keeps what it has and takes nothing more.
    closed = world.ok(
        "operator", "POST", f"/cases/{a}/transitions", {"to": "closed", "reason": "done"}
    )
    assert closed["status"] == "closed" and closed["close_reason"] == "done"
    assert (
        world.call("vendor_a", "POST", f"/cases/{a}/messages", {"body": "late"}).status_code == 409
    )
    assert world.ok("vendor_a", "GET", f"/cases/{a}")["status"] == "closed"

    # Every change is in the audit log, and the chain holds.
    with world.db.read_session() as session:
        actions = session.scalars(
            select(AuditEvent.action).where(AuditEvent.subject_type == "disclosure_case")
        ).all()
        assert verify(session).ok
        details = " ".join(session.scalars(select(AuditEvent.details)).all())
    for action in (
        "case.open",
        "case.vendor.invite",
        "case.statement",
        "case.message",
        "case.state",
        "case.advisory",
    ):
        assert action in actions, action
    assert MARKER not in details  # the log proves what changed without copying the details


def test_removing_a_vendor_takes_the_case_away_from_it(world: World) -> None:
    cases = open_cases(world)
    a = cases.a
    assert world.call("vendor_a", "DELETE", f"/cases/{a}/vendors/acme").status_code == 403
    world.ok("operator", "DELETE", f"/cases/{a}/vendors/acme?reason=wrong+product")
    assert world.call("vendor_a", "GET", f"/cases/{a}").status_code == 404
    assert world.ok("vendor_a", "GET", "/cases") == []
    case = world.ok("operator", "GET", f"/cases/{a}")
    assert case["vendors"][0]["removed_at"] is not None
    assert case["vendors"][0]["removal_reason"] == "wrong product"
    assert case["statements"][0]["vendor"] == "acme"  # what it said stays with the case
    assert world.call("operator", "DELETE", f"/cases/{a}/vendors/acme").status_code == 404
    world.ok("operator", "POST", f"/cases/{a}/vendors", {"organisation": "acme"}, 201)
    assert world.ok("vendor_a", "GET", f"/cases/{a}")["view"] == "vendor"


def test_closing_before_the_embargo_stores_the_record_under_it(world: World) -> None:
    cases = open_cases(world)
    closed = world.ok("operator", "POST", f"/cases/{cases.b}/transitions", {"to": "closed"})
    assert closed["osv_id"] == f"x_CLEARINGHOUSE-CASE-{cases.b}"
    with world.db.read_session() as session:
        stored = session.scalars(
            select(Vulnerability).where(Vulnerability.osv_id == closed["osv_id"])
        ).one()
        assert (stored.tlp, stored.embargo_ends_at) == ("AMBER", START + 30 * DAY)
    # The coordinator may still move a running embargo, and the stored record follows it.
    world.ok("operator", "PATCH", f"/cases/{cases.b}", {"embargo_ends_at": iso(START + 40 * DAY)})
    with world.db.read_session() as session:
        stored = session.scalars(
            select(Vulnerability).where(Vulnerability.osv_id == closed["osv_id"])
        ).one()
        assert stored.embargo_ends_at == START + 40 * DAY
    assert world.call("vendor_a", "GET", f"/advisories/{cases.b}").status_code == 404
    assert world.ok("vendor_b", "GET", f"/advisories/{cases.b}")["final"] is True
