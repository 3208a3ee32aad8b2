"""The vulnerability API, driven through the real ASGI app on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from httpx import AsyncClient
from sqlalchemy import update

from clearinghouse.identity.principal import local_operator
from clearinghouse.intake import submit_record
from clearinghouse.storage import Database
from clearinghouse.storage.base import utcnow
from clearinghouse.vulnerabilities.models import Vulnerability

from .conftest import People, bearer

pytestmark = pytest.mark.anyio
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def osv_record(shared_data: Path, package: str, name: str) -> dict[str, Any]:
    return yaml.safe_load((shared_data / "osv" / "pypi" / package / f"{name}.yaml").read_text())


def derived_record(shared_data: Path, new_id: str) -> dict[str, Any]:
    """A real record under a private (x_) id and a new package name: it joins no group."""
    document = osv_record(shared_data, "requests", "PYSEC-2023-74")
    document["id"] = new_id
    document["summary"] = "Test copy of requests' Proxy-Authorization leak"
    document.pop("aliases", None)
    for affected in document["affected"]:
        affected["package"]["name"] = "clearinghouse-test-package"
        affected["package"].pop("purl", None)
    return document


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


async def test_every_alias_finds_the_same_group(client: AsyncClient, shared_data: Path) -> None:
    for package, name in [
        ("pyspark", "PYSEC-2022-236"),
        ("pillow", "PYSEC-2014-23"),
        ("jinja2", "PYSEC-2019-217"),
    ]:
        document = osv_record(shared_data, package, name)
        names = [document["id"], *document.get("aliases", [])]
        assert len(names) >= 2
        groups = set()
        for identifier in names:
            response = await client.get(f"/api/v1/vulns/{identifier}")
            assert response.status_code == 200, (identifier, response.text)
            body = response.json()
            assert body["id"] == identifier
            assert set(names) <= set(body["aliases"])
            record = next(r for r in body["records"] if r["id"] == name)
            assert record["modified"] == document["modified"]
            assert (
                record["affected"][0]["package"]["name"]
                == document["affected"][0]["package"]["name"]
            )
            assert record["provenance"]["source"]
            assert record["provenance"]["file"].endswith(f"{name}.yaml")
            assert record["provenance"]["ingested_at"]
            groups.add(body["group_id"])
        assert len(groups) == 1


async def test_known_exploited_record_carries_its_kev_entry(client: AsyncClient) -> None:
    body = (await client.get("/api/v1/vulns/CVE-2022-33891")).json()
    assert body["known_exploited"] is True
    assert body["kev"]["cve_id"] == "CVE-2022-33891"
    assert body["kev"]["vendor_project"] == "Apache"
    assert body["kev"]["due_date"] == "2023-03-28"
    assert body["kev"]["required_action"]
    other = (await client.get("/api/v1/vulns/PYSEC-2014-23")).json()
    assert other["known_exploited"] is False
    assert other["kev"] is None


async def test_identifiers_are_matched_case_insensitively_by_prefix(client: AsyncClient) -> None:
    response = await client.get("/api/v1/vulns/cve-2022-33891")
    assert response.status_code == 200
    assert response.json()["id"] == "CVE-2022-33891"


async def test_unknown_vulnerability_is_a_404_problem(client: AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/vulns/PYSEC-1999-99999"), 404)
    assert body["instance"] == "/api/v1/vulns/PYSEC-1999-99999"
    assert "PYSEC-1999-99999" in body["detail"]


async def test_search_by_package_counts_every_record(
    client: AsyncClient, shared_data: Path
) -> None:
    expected = {p.stem for p in (shared_data / "osv" / "pypi" / "pillow").glob("*.yaml")}
    response = await client.get("/api/v1/vulns", params={"package": "Pillow", "per_page": 200})
    body = response.json()
    assert body["total"] == len(expected)
    assert {item["id"] for item in body["items"]} == expected
    assert body["next"] is None
    assert "link" not in response.headers
    assert all("pillow" in item["packages"] for item in body["items"])
    assert all(item["ecosystems"] == ["PyPI"] for item in body["items"])


async def test_search_filters(client: AsyncClient) -> None:
    by_alias = (await client.get("/api/v1/vulns", params={"q": "GHSA-4x9r-j582-cgr8"})).json()
    assert [item["id"] for item in by_alias["items"]] == ["PYSEC-2022-236"]
    exploited = (await client.get("/api/v1/vulns", params={"kev": "true", "per_page": 200})).json()
    # Only PYSEC-2022-236 names a KEV CVE among its aliases; others merely mention one.
    assert [item["id"] for item in exploited["items"]] == ["PYSEC-2022-236"]
    assert exploited["items"][0]["known_exploited"] is True
    spark = (
        await client.get("/api/v1/vulns", params={"package": "pyspark", "kev": "false"})
    ).json()
    assert spark["total"] == 7
    assert not any(item["known_exploited"] for item in spark["items"])
    nothing = (
        await client.get("/api/v1/vulns", params={"ecosystem": "Go", "package": "pillow"})
    ).json()
    assert nothing == {"items": [], "total": 0, "page": 1, "per_page": 50, "next": None}


async def test_pagination_follows_link_headers(client: AsyncClient) -> None:
    first = await client.get("/api/v1/vulns", params={"ecosystem": "PyPI", "per_page": 7})
    total = first.json()["total"]
    assert total > 14
    seen: list[str] = []
    response = first
    pages = 0
    while True:
        body = response.json()
        seen.extend(item["id"] for item in body["items"])
        pages += 1
        if body["next"] is None:
            assert "link" not in response.headers
            break
        link = response.headers["link"]
        assert link == f'<{body["next"]}>; rel="next"'
        assert "per_page=7" in body["next"] and f"page={pages + 1}" in body["next"]
        response = await client.get(body["next"])
        assert response.status_code == 200
    assert len(seen) == total == len(set(seen))
    assert pages == -(-total // 7)


async def test_per_page_above_the_maximum_is_a_422_naming_the_field(client: AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/vulns", params={"per_page": 201}), 422)
    assert [error["path"] for error in body["errors"]] == ["query.per_page"]
    assert "query.per_page" in body["detail"]


async def test_operator_submits_a_record(
    client: AsyncClient, people: People, shared_data: Path
) -> None:
    document = derived_record(shared_data, "x_clearinghouse-test-1")
    added = await client.post("/api/v1/vulns", json=document, headers=bearer(people.operator_token))
    assert added.status_code == 201, added.text
    assert added.json() == {"id": "x_clearinghouse-test-1", "status": "added"}
    assert added.headers["location"].endswith("/api/v1/vulns/x_clearinghouse-test-1")
    again = await client.post("/api/v1/vulns", json=document, headers=bearer(people.operator_token))
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "unchanged"
    fetched = (await client.get("/api/v1/vulns/x_clearinghouse-test-1")).json()
    assert fetched["records"][0]["provenance"]["source"] == "api"
    assert fetched["records"][0]["summary"] == document["summary"]


async def test_a_partner_may_not_submit(
    client: AsyncClient, people: People, shared_data: Path
) -> None:
    document = derived_record(shared_data, "x_clearinghouse-test-2")
    response = await client.post(
        "/api/v1/vulns", json=document, headers=bearer(people.partner_token)
    )
    body = assert_problem(response, 403)
    assert "operator" in body["detail"]
    assert (await client.get("/api/v1/vulns/x_clearinghouse-test-2")).status_code == 404


async def test_anonymous_may_not_submit(client: AsyncClient, shared_data: Path) -> None:
    response = await client.post(
        "/api/v1/vulns", json=derived_record(shared_data, "x_clearinghouse-test-3")
    )
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_a_bad_bearer_token_is_a_401_not_anonymous(client: AsyncClient) -> None:
    for header in ("Bearer chk_" + "x" * 43, "Bearer nonsense", "Basic dXNlcjpwYXNz"):
        response = await client.get(
            "/api/v1/vulns/CVE-2022-33891", headers={"Authorization": header}
        )
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"


async def test_invalid_record_is_a_422_with_its_json_path(
    client: AsyncClient, people: People, shared_data: Path
) -> None:
    document = derived_record(shared_data, "x_clearinghouse-test-4")
    document["affected"][0]["ranges"][0]["type"] = "NOT-A-RANGE-TYPE"
    response = await client.post(
        "/api/v1/vulns", json=document, headers=bearer(people.operator_token)
    )
    body = assert_problem(response, 422)
    assert body["path"] == "$.affected[0].ranges[0].type"
    not_json = await client.post(
        "/api/v1/vulns",
        content=b"{not json",
        headers={**bearer(people.operator_token), "Content-Type": "application/json"},
    )
    assert assert_problem(not_json, 422)["path"] == "$"
    not_object = await client.post(
        "/api/v1/vulns", json=[1, 2], headers=bearer(people.operator_token)
    )
    assert assert_problem(not_object, 422)["path"] == "$"


def _hide(db: Database, osv_id: str, **values: Any) -> None:
    with db.session() as session:
        session.execute(
            update(Vulnerability).where(Vulnerability.osv_id == osv_id).values(**values)
        )


async def _visible_everywhere(
    client: AsyncClient, osv_id: str, headers: dict[str, str]
) -> list[bool]:
    direct = (await client.get(f"/api/v1/vulns/{osv_id}", headers=headers)).status_code == 200
    listed = (
        await client.get(
            "/api/v1/vulns",
            params={"package": "clearinghouse-test-package", "per_page": 200},
            headers=headers,
        )
    ).json()
    searched = (await client.get("/api/v1/vulns", params={"q": osv_id}, headers=headers)).json()
    summary_text = (
        await client.get("/api/v1/vulns", params={"q": "Proxy-Authorization"}, headers=headers)
    ).json()
    return [
        direct,
        osv_id in {i["id"] for i in listed["items"]},
        osv_id in {i["id"] for i in searched["items"]},
        osv_id in {i["id"] for i in summary_text["items"]},
    ]


async def test_amber_record_is_hidden_from_anonymous(
    client: AsyncClient, sample_db: Database, people: People, shared_data: Path
) -> None:
    osv_id = "x_clearinghouse-amber-1"
    submit_record(sample_db, derived_record(shared_data, osv_id), local_operator("test"))
    assert await _visible_everywhere(client, osv_id, {}) == [True] * 4
    _hide(sample_db, osv_id, tlp="AMBER", owner_org_id=people.partner_org_id)
    assert await _visible_everywhere(client, osv_id, {}) == [False] * 4
    # The owner organisation still sees it; the API's 404 does not say the record exists.
    assert await _visible_everywhere(client, osv_id, bearer(people.partner_token)) == [True] * 4
    body = assert_problem(await client.get(f"/api/v1/vulns/{osv_id}"), 404)
    assert "AMBER" not in body["detail"]


async def test_embargoed_record_is_hidden_until_the_embargo_ends(
    client: AsyncClient, sample_db: Database, people: People, shared_data: Path
) -> None:
    osv_id = "x_clearinghouse-embargo-1"
    submit_record(sample_db, derived_record(shared_data, osv_id), local_operator("test"))
    _hide(
        sample_db,
        osv_id,
        owner_org_id=people.partner_org_id,
        embargo_ends_at=utcnow() + timedelta(days=7),
    )
    assert await _visible_everywhere(client, osv_id, {}) == [False] * 4
    assert await _visible_everywhere(client, osv_id, bearer(people.partner_token)) == [True] * 4
    _hide(sample_db, osv_id, embargo_ends_at=utcnow() - timedelta(seconds=1))
    assert await _visible_everywhere(client, osv_id, {}) == [True] * 4
