"""Who sees which report: reporters their own (and their organisation's), analysts all, others
nothing, not even that it exists. On SQLite and PostgreSQL."""

from __future__ import annotations

from .conftest import Site


def body(title: str, run: str = "r") -> dict[str, object]:
    return {
        "title": title,
        "description": f"{title}: details only its reporter knows.",
        "model_run": run,
    }


def test_each_role_sees_what_it_should(site: Site) -> None:
    lab = site.submit("lab", body("LAB-SECRET-ONE"))
    other = site.submit("other_lab", body("OTHERLAB-SECRET-TWO"))
    researcher = site.submit("researcher", body("RESEARCHER-SECRET-THREE"))
    # Analysts (operators, agency reviewers) see every report, in full.
    for role in ("operator", "analyst"):
        listed = site.ok(role, "GET", "/reports")
        assert {r["id"] for r in listed["reports"]} == {lab["id"], other["id"], researcher["id"]}
        assert site.ok(role, "GET", f"/reports/{other['id']}")["view"] == "analyst"
    # A reporter sees its own reports, and its organisation's, in the reporter's view.
    mine = site.ok("lab", "GET", "/reports")
    assert [r["id"] for r in mine["reports"]] == [lab["id"]]
    assert site.ok("lab2", "GET", f"/reports/{lab['id']}")["view"] == "reporter"
    # Anyone else gets the 404 of a report that does not exist.
    for role, report in (("lab", other), ("other_lab", lab), ("vendor", lab), ("researcher", lab)):
        response = site.call(role, "GET", f"/reports/{report['id']}")
        assert response.status_code == 404, role
        missing = site.call(role, "GET", "/reports/999999").json()
        assert response.json()["detail"] == f"no report {report['id']}"
        assert missing["detail"] == "no report 999999"
        assert {k: v for k, v in response.json().items() if k not in ("detail", "instance")} == {
            k: v for k, v in missing.items() if k not in ("detail", "instance")
        }
    assert site.ok("vendor", "GET", "/reports")["total"] == 0
    assert site.call(None, "GET", "/reports").status_code == 401
    assert site.call(None, "GET", f"/reports/{lab['id']}").status_code == 401
    leaked = [
        r
        for r in site.responses
        if "OTHERLAB-SECRET-TWO" in r.text
        and r.request.headers.get("authorization")
        not in (
            f"Bearer {site.tokens['operator']}",
            f"Bearer {site.tokens['analyst']}",
            f"Bearer {site.tokens['other_lab']}",
        )
    ]
    assert leaked == []


def test_a_reporter_does_not_learn_of_another_reporters_duplicate(site: Site) -> None:
    text = {
        "title": "Race in the session cache",
        "description": "A race in session_cache.c frees entries twice under load.",
    }
    first = site.submit("other_lab", text)
    second = site.submit("lab", text)
    assert second["duplicate_of_id"] is None  # the reporter's view does not name it
    mine = site.ok("lab", "GET", f"/reports/{second['id']}")
    assert mine["links"] == [] and mine["duplicate_of_id"] is None and mine["fingerprint"] is None
    analyst = site.ok("analyst", "GET", f"/reports/{second['id']}")
    assert analyst["duplicate_of_id"] == first["id"]
    assert "Race in the session cache" not in str(mine["links"])
