"""The case page's forms without a browser: CSRF, redirects, errors shown on the page."""

from __future__ import annotations

from .conftest import World
from .scenario import open_cases


def test_forms_need_the_sessions_csrf_token_and_a_part_in_the_case(world: World) -> None:
    cases = open_cases(world)
    a = cases.a
    world.cookie("vendor_a")
    forged = world.form("vendor_a", f"/cases/{a}/messages", {"body": "forged"})
    assert forged.status_code == 403 and "CSRF" in forged.text
    wrong = world.form("vendor_a", f"/cases/{a}/messages", {"body": "x", "csrf_token": "nope"})
    assert wrong.status_code == 403
    posted = world.form(
        "vendor_a",
        f"/cases/{a}/messages",
        {"body": "from the page", "csrf_token": world.csrf["vendor_a"]},
    )
    assert posted.status_code == 303 and posted.headers["location"] == f"/cases/{a}#messages"
    bodies = [m["body"] for m in world.ok("operator", "GET", f"/cases/{a}")["messages"]]
    assert "from the page" in bodies and "forged" not in bodies

    # Someone outside the case, with a valid token of its own: the 404 page, nothing stored.
    world.cookie("vendor_b")
    outside = world.form(
        "vendor_b",
        f"/cases/{a}/messages",
        {"body": "let me in", "csrf_token": world.csrf["vendor_b"]},
    )
    assert outside.status_code == 404 and "404 · Not found" in outside.text

    # A mistake the person can fix is shown on the case page, with the field named.
    bad = world.form(
        "vendor_a",
        f"/cases/{a}/statements",
        {"status": "fixed", "versions": "", "csrf_token": world.csrf["vendor_a"]},
    )
    assert bad.status_code == 422 and "versions: say which versions are fixed" in bad.text
    assert 'role="alert"' in bad.text

    # Opening from the list page: report numbers are checked before anything else.
    world.cookie("operator")
    token = world.csrf["operator"]
    typo = world.form("operator", "/cases", {"report_ids": "twelve", "csrf_token": token})
    assert typo.status_code == 422 and "report_ids: give report numbers" in typo.text
    taken = world.form(
        "operator", "/cases", {"report_ids": str(cases.reports[0]), "csrf_token": token}
    )
    assert taken.status_code == 409 and f"already in case {a}" in taken.text


def test_the_coordinator_edits_the_whole_case_from_its_page(world: World) -> None:
    cases = open_cases(world)
    a = cases.a
    world.cookie("operator")
    current = world.ok("operator", "GET", f"/cases/{a}")
    fields = {
        key: current[key] or ""
        for key in ("title", "summary", "description", "package_ecosystem", "package_name",
                    "affected_versions", "cwe", "cvss_vector", "cve_id", "tlp")
    }  # fmt: skip
    token = world.csrf["operator"]
    bad = world.form(
        "operator",
        f"/cases/{a}/edit",
        {**fields, "affected_versions": ">=1 >=2", "csrf_token": token},
    )
    assert bad.status_code == 422 and "affected_versions: " in bad.text
    edited = {**fields, "affected_versions": ">=2.0, <2.4.1", "cve_id": "", "csrf_token": token}
    assert world.form("operator", f"/cases/{a}/edit", edited).status_code == 303
    after = world.ok("operator", "GET", f"/cases/{a}")
    assert after["affected_versions"] == ">=2.0, <2.4.1" and after["cve_id"] is None
    assert after["title"] == current["title"] and after["severity"] == "CRITICAL"
    world.cookie("vendor_a")  # a valid token of its own: the policy, not CSRF, says no
    vendor = world.form(
        "vendor_a", f"/cases/{a}/edit", {**fields, "csrf_token": world.csrf["vendor_a"]}
    )
    assert vendor.status_code == 403
