"""OSV.dev's query API served by the real app over HTTP, with OSV.dev's shapes."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import update

from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import Vulnerability

from .conftest import People, bearer

pytestmark = pytest.mark.anyio


async def test_query_by_name_answers_full_records(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/query", json={"package": {"name": "jinja2", "ecosystem": "PyPI"}, "version": "2.10"}
    )
    assert response.status_code == 200
    vulns = response.json()["vulns"]
    assert [v["id"] for v in vulns] == ["PYSEC-2019-217", "PYSEC-2021-66"]
    assert all("affected" in v and "modified" in v for v in vulns)  # whole OSV records


async def test_query_by_purl_and_nothing_found_is_an_empty_object(
    client: httpx.AsyncClient,
) -> None:
    found = await client.post("/v1/query", json={"package": {"purl": "pkg:pypi/Jinja2@2.10"}})
    assert len(found.json()["vulns"]) == 2
    fixed = await client.post("/v1/query", json={"package": {"purl": "pkg:pypi/jinja2@2.11.3"}})
    assert fixed.status_code == 200 and fixed.json() == {}


async def test_querybatch_keeps_the_order_and_answers_ids(client: httpx.AsyncClient) -> None:
    queries = [
        {"package": {"purl": "pkg:pypi/jinja2@2.10"}},
        {"package": {"name": "no-such", "ecosystem": "PyPI"}, "version": "1.0"},
        {"package": {"name": "requests", "ecosystem": "PyPI"}, "version": "2.0.0"},
    ]
    response = await client.post("/v1/querybatch", json={"queries": queries})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3
    assert [v["id"] for v in results[0]["vulns"]] == ["PYSEC-2019-217", "PYSEC-2021-66"]
    assert results[1] == {}
    assert results[2]["vulns"] and all(set(v) == {"id", "modified"} for v in results[2]["vulns"])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"commit": "6879efc2c1596d11a6a6ad296f80063b558d5e0f"}, "commit"),
        ({"version": "1.0"}, "needs a package"),
        ({"package": {"name": "jinja2"}, "version": "2.10"}, "name and an ecosystem"),
        ({"package": {"purl": "pkg:pypi/jinja2@2.10"}, "version": "2.10"}, "both"),
        ({"package": {"purl": "not a purl"}}, "purl"),
        ({"package": {"purl": "pkg:pypi/jinja2", "name": "jinja2"}}, "either"),
    ],
)
async def test_bad_queries_get_a_problem_with_osv_members(
    client: httpx.AsyncClient, body: dict[str, object], words: str
) -> None:
    response = await client.post("/v1/query", json=body)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == 3 and words in problem["message"] and words in problem["detail"]


async def test_a_batch_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    queries = [{"package": {"purl": "pkg:pypi/jinja2@2.10"}}] * 1001
    response = await client.post("/v1/querybatch", json={"queries": queries})
    assert response.status_code == 422


async def test_a_restricted_record_is_answered_only_to_who_may_read_it(
    client: httpx.AsyncClient, people: People, sample_db: Database
) -> None:
    with sample_db.session() as session:
        session.execute(
            update(Vulnerability).where(Vulnerability.osv_id == "PYSEC-2019-217").values(tlp="RED")
        )
    body = {"package": {"purl": "pkg:pypi/jinja2@2.10"}}
    anonymous = await client.post("/v1/query", json=body)
    assert [v["id"] for v in anonymous.json()["vulns"]] == ["PYSEC-2021-66"]
    operator = await client.post("/v1/query", json=body, headers=bearer(people.operator_token))
    assert [v["id"] for v in operator.json()["vulns"]] == ["PYSEC-2019-217", "PYSEC-2021-66"]
