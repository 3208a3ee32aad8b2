"""Issue 4, acceptance 2: what each role can and cannot see of coordinated disclosure cases.

The roles: the coordinator (operator), vendor A (invited to case A), vendor B (invited to
case B only), an organisation invited to nothing, the reporter who found the bug, and an
anonymous visitor. Every detail of case A carries `MARKER`; before the embargo ends, no
response to anyone outside case A may hold it: not the case API, not a page, not the
vulnerability search (/api/v1/vulns, /vulns), not the OSV query API, not an export, not
any other GET route the application has. The clock then moves past the embargo, and the
advisory (only the advisory) reaches everyone TLP:CLEAR allows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.routing import Mount

from clearinghouse.identity import ANONYMOUS
from clearinghouse.sbom.models import InventoryFinding
from clearinghouse.sbom.service import upload_sbom
from clearinghouse.vulnerabilities.store import find_group, search_vulnerabilities

from .conftest import DAY, EMBARGO_DAYS, START, World
from .scenario import MARKER, MARKER_B, PACKAGE, Cases, open_cases

CVE = "CVE-2031-40404"
SEARCH = MARKER[:8]  # a search for part of it: the whole marker is never in a request
ROLES = ("operator", "vendor_a", "vendor_b", "outsider", "reporter", None)
_PARAM = re.compile(r"\{([a-z_]+)(?::[a-z]+)?\}")


def expect(world: World, role: str | None, path: str, status: int) -> Any:
    response = world.call(role, "GET", path)
    assert response.status_code == status, (role, path, response.status_code, response.text)
    return response.json()


def test_each_role_sees_its_own_cases_and_nothing_else(world: World) -> None:
    cases = open_cases(world)
    a, b = cases.a, cases.b
    seen = {
        role: [c["id"] for c in expect(world, role, "/cases", 200)]
        for role in (
            "operator",
            "vendor_a",
            "vendor_a_reporter",
            "vendor_b",
            "outsider",
            "reporter",
        )
    }
    assert seen == {
        "operator": [b, a],
        "vendor_a": [a],
        "vendor_a_reporter": [a],  # the whole vendor organisation takes part
        "vendor_b": [b],
        "outsider": [],
        "reporter": [],  # finding the bug does not make one a party to its disclosure
    }
    expect(world, None, "/cases", 401)

    # One case, whole, for its parties; the 404 of a missing case for everyone else.
    assert expect(world, "operator", f"/cases/{a}", 200)["view"] == "coordinator"
    assert expect(world, "vendor_a", f"/cases/{a}", 200)["view"] == "vendor"
    assert expect(world, "vendor_b", f"/cases/{b}", 200)["view"] == "vendor"
    missing = expect(world, "outsider", "/cases/424242", 404)
    for role, case in (("vendor_b", a), ("vendor_a", b), ("outsider", a), ("reporter", a)):
        for suffix in ("", "/statements", "/messages", "/advisory-draft"):
            body = expect(world, role, f"/cases/{case}{suffix}", 404)
            assert body["title"] == missing["title"] and body["detail"] == f"no case {case}"
        for method, tail, payload in (
            ("POST", "/messages", {"body": "hello"}),
            ("POST", "/statements", {"status": "not_affected"}),
            ("POST", "/vendors", {"organisation": "initech"}),
            ("POST", "/transitions", {"to": "closed"}),
            ("PATCH", "", {"title": "mine now"}),
        ):
            response = world.call(role, method, f"/cases/{case}{tail}", payload)
            assert response.status_code == 404, (role, method, tail, response.text)
    for suffix in ("", "/statements", "/messages", "/advisory-draft"):
        expect(world, None, f"/cases/{a}{suffix}", 401)

    # The pages say the same: the vendor's case page, and a 404 page for the others.
    page = world.page("vendor_a", f"/cases/{a}")
    assert page.status_code == 200 and MARKER in page.text and MARKER_B not in page.text
    for role in ("vendor_b", "outsider", "reporter"):
        page = world.page(role, f"/cases/{a}")
        assert page.status_code == 404 and "404 · Not found" in page.text
    assert world.page(None, f"/cases/{a}").status_code == 401
    listing = world.page("vendor_b", "/cases")
    assert f"/cases/{b}" in listing.text and f'href="/cases/{a}"' not in listing.text


def _get_paths(app: Any) -> Iterator[str]:
    """Every GET path of the app. FastAPI 0.165 keeps included routers whole, so their
    flattened routes come from `effective_route_contexts` (the count asserted below fails
    loudly should that ever change, rather than sweeping nothing)."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for item in contexts() if contexts is not None else [route]:
            methods = getattr(item, "methods", None) or ()
            if isinstance(item, Mount) or "GET" not in methods:
                continue
            yield str(item.path)


def _routes(world: World, cases: Cases, osv_id: str, inventory_id: int) -> Iterator[str]:
    """Every GET path of the application, its parameters filled with case A's things."""
    values = {"case_id": cases.a, "identifier": osv_id, "inventory_id": inventory_id}
    for path in _get_paths(world.client.app):
        if path.startswith("/static") or path.endswith(("/openapi.json", "/docs")):
            continue
        yield _PARAM.sub(lambda m: str(values.get(m.group(1), 1)), path)


def _searches(osv_id: str, case_id: int) -> list[str]:
    return [
        f"/api/v1/vulns?q={SEARCH}",
        f"/api/v1/vulns?q={osv_id}",
        f"/api/v1/vulns?q={CVE}",
        f"/api/v1/vulns?ecosystem=PyPI&package={PACKAGE}",
        f"/api/v1/vulns/{osv_id}",
        f"/api/v1/vulns/{CVE}",
        f"/vulns?q={SEARCH}",
        f"/vulns?ecosystem=PyPI&package={PACKAGE}",
        f"/vulns/{osv_id}",
        f"/vulns/{CVE}",
        "/api/v1/advisories",
        "/advisories",
        f"/api/v1/advisories/{case_id}",
        f"/api/v1/advisories/{case_id}/advisory.md",
        f"/api/v1/advisories/{case_id}/osv.json",
        f"/advisories/{case_id}",
    ]


def _get(world: World, role: str | None, path: str) -> httpx.Response:
    if path.startswith(("/api/", "/v1/")):
        return world.call(role, "GET", path.removeprefix("/api/v1"))
    return world.page(role, path)


def _osv_queries(world: World, role: str | None) -> list[httpx.Response]:
    package = {"name": PACKAGE, "ecosystem": "PyPI"}
    batch = {"queries": [{"package": package, "version": "2.0"}]}
    return [
        world.call(role, "POST", "/v1/query", {"package": package, "version": "2.0"}),
        world.call(role, "POST", "/v1/query", {"package": package}),
        world.call(role, "POST", "/v1/querybatch", batch),
    ]


def _leaks(response: httpx.Response) -> bool:
    """Whether a response holds a detail of case A that its request did not bring along."""
    # read(): a request httpx built to follow a redirect (to /login) has an unread stream.
    asked = str(response.request.url) + response.request.read().decode()
    answer = response.text + str(response.headers)
    return MARKER in answer or (PACKAGE in answer and PACKAGE not in asked)


def _sweep(world: World, role: str | None, paths: list[str]) -> list[httpx.Response]:
    return [_get(world, role, path) for path in paths] + _osv_queries(world, role)


@pytest.mark.slow  # some 700 requests: every GET route, as six roles
def test_nobody_outside_a_case_sees_its_details_anywhere_before_the_embargo(world: World) -> None:
    cases = open_cases(world)
    a = cases.a
    # An organisation outside the case runs the affected package: its inventory must not
    # learn of the vulnerability before the embargo ends either.
    with world.db.session() as session:
        outcome = upload_sbom(
            session,
            world.principal("outsider"),
            inventory="production",
            data=f"{PACKAGE}==2.0\n".encode(),
            filename="requirements.txt",
            now=world.clock.now(),
        )
    # The case closes before its embargo ends: its advisory is produced and its OSV record
    # is stored, labelled with the embargo, in the vulnerability store.
    world.ok("operator", "PATCH", f"/cases/{a}", {"cve_id": CVE})
    closed = world.ok("operator", "POST", f"/cases/{a}/transitions", {"to": "closed"})
    osv_id = closed["osv_id"]
    assert osv_id and closed["embargo_in_force"] is True
    with world.db.session() as session:  # a re-upload matches again, now with the record stored
        upload_sbom(
            session,
            world.principal("outsider"),
            inventory="production",
            data=f"{PACKAGE}==2.0\n".encode(),
            filename="requirements.txt",
            now=world.clock.now(),
        )

    paths = sorted(set(_routes(world, cases, osv_id, outcome.inventory_id))) + _searches(osv_id, a)
    assert len(paths) > 40  # every GET route of the app, not a hand-picked few
    for role in ("vendor_b", "outsider", "reporter", None):
        for response in _sweep(world, role, paths):
            assert not _leaks(response), (role, response.request.url, response.text[:300])
    with world.db.read_session() as session:
        assert session.scalars(select(InventoryFinding)).all() == []

    # The same sweep finds the marker for the case's parties: the search above could fail.
    for role in ("operator", "vendor_a"):
        assert any(_leaks(r) for r in _sweep(world, role, paths)), role
    search = expect(world, "operator", f"/vulns?q={SEARCH}", 200)  # the owner may search it
    assert [item["id"] for item in search["items"]] == [osv_id]

    # The embargo passes: the advisory reaches everyone TLP:CLEAR allows, the case stays
    # with its parties.
    world.clock.set(START + EMBARGO_DAYS * DAY)
    for role in ("vendor_b", "outsider", "reporter", None):
        advisory = expect(world, role, f"/advisories/{a}", 200)
        assert MARKER in advisory["markdown"] and advisory["osv"]["id"] == osv_id
        assert world.call(role, "GET", f"/cases/{a}").status_code in (401, 404)
        hits = world.call(
            role,
            "POST",
            "/v1/query",
            {"package": {"name": PACKAGE, "ecosystem": "PyPI"}, "version": "2.0"},
        )
        assert [v["id"] for v in hits.json()["vulns"]] == [osv_id]
    assert [row["case_id"] for row in expect(world, None, "/advisories", 200)] == [a]
    with world.db.read_session() as session:
        before = search_vulnerabilities(session, ANONYMOUS, q=MARKER, now=START)
        after = search_vulnerabilities(session, ANONYMOUS, q=MARKER, now=world.clock.now())
        assert (before.total, after.total) == (0, 1)
        assert (
            find_group(session, CVE, ANONYMOUS, now=world.clock.now()).records[0].osv_id == osv_id
        )
    # Case B is TLP:AMBER: once it closes and its embargo passes, only its owner and its
    # parties read its advisory; vendor A is not one of them.
    world.ok("operator", "POST", f"/cases/{cases.b}/transitions", {"to": "closed"})
    world.clock.set(START + 31 * DAY)
    assert world.call("vendor_b", "GET", f"/advisories/{cases.b}").status_code == 200
    for role in ("vendor_a", "outsider", "reporter", None):
        assert world.call(role, "GET", f"/advisories/{cases.b}").status_code == 404
        assert MARKER_B not in world.call(role, "GET", "/advisories").text
