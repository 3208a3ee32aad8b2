"""/api/v1/inventories through the real ASGI app, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import orjson
import pytest
from starlette.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.clock import ManualClock
from clearinghouse.identity.tokens import create_token
from clearinghouse.sbom import service
from clearinghouse.sbom.service import MAX_SBOM_BYTES
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

from .conftest import NOW, PEOPLE, Cast, make_cast, osv, pypi, sbom, store

needs_reader = pytest.mark.skipif(
    importlib.util.find_spec("clearinghouse.formats.sbom") is None,
    reason="clearinghouse.formats.sbom.read_sbom (the SBOM readers) has not landed yet",
)

CYCLONEDX = orjson.dumps(
    {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "version": 1,
        "metadata": {"component": {"type": "application", "name": "billing-api"}},
        "components": [
            {
                "type": "library",
                "bom-ref": "pkg:pypi/requests@2.30.0",
                "name": "requests",
                "version": "2.30.0",
                "purl": "pkg:pypi/requests@2.30.0",
            },
            {"type": "library", "name": "in-house-lib"},
        ],
    }
)


@dataclass
class Api:
    client: TestClient
    cast: Cast
    tokens: dict[str, str]

    def call(self, who: str | None, method: str, path: str, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def api(db: Database, db_url: str) -> Iterator[Api]:
    cast = make_cast(db)
    tokens: dict[str, str] = {}
    with db.session() as session:
        from sqlalchemy import select

        from clearinghouse.identity.models import User

        for key, (email, _, _) in PEOPLE.items():
            user = session.scalars(select(User).where(User.email == email)).one()
            _, tokens[key] = create_token(session, user=user, name="tests", actor="test")
    store(
        db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
            severity="MODERATE",
        ),
    )
    app = create_app(Settings(database_url=db_url, secret_key="t"), db, ManualClock(NOW))
    with TestClient(app) as client:
        yield Api(client, cast, tokens)


def seed(api: Api) -> int:
    with api.cast.db.session() as session:
        return service.upload_document(
            session,
            api.cast.principals["grid"],
            inventory="billing-api",
            document=sbom(pypi("requests", "2.30.0")),
            filename="bom.json",
            content=b"{}",
            now=NOW,
        ).inventory_id


def test_members_list_and_read_their_inventory_and_outsiders_get_404(api: Api) -> None:
    inventory_id = seed(api)
    listed = api.call("grid", "GET", "/inventories")
    assert listed.status_code == 200
    (summary,) = listed.json()
    assert summary["name"] == "billing-api" and summary["open_findings"] == {"MEDIUM": 1}
    assert api.call("water", "GET", "/inventories").json() == []
    assert len(api.call("operator", "GET", "/inventories").json()) == 1

    body = api.call("grid", "GET", f"/inventories/{inventory_id}").json()
    (finding,) = body["findings"]
    assert finding["vulnerability"] == "CVE-2023-32681"
    assert finding["fixed_version"] == "2.31.0" and finding["link"] == "/vulns/CVE-2023-32681"
    assert body["counts"] == {"new": 1} and body["latest_upload"]["components"] == 1

    for who, path in (("water", f"/inventories/{inventory_id}"), ("grid", "/inventories/9999")):
        refused = api.call(who, "GET", path)
        assert refused.status_code == 404
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["title"] == "Not found"
    assert api.call(None, "GET", "/inventories").status_code == 401


def test_filters_and_a_bad_filter_is_a_problem(api: Api) -> None:
    inventory_id = seed(api)
    path = f"/inventories/{inventory_id}"
    assert len(api.call("grid", "GET", path, params={"severity": "medium"}).json()["findings"]) == 1
    assert api.call("grid", "GET", path, params={"severity": "high"}).json()["findings"] == []
    assert api.call("grid", "GET", path, params={"status": "fixed"}).json()["findings"] == []
    bad = api.call("grid", "GET", path, params={"severity": "urgent"})
    assert bad.status_code == 422 and "urgent" in bad.json()["detail"]
    assert api.call("grid", "GET", path, params={"status": "done"}).status_code == 422


def test_a_member_decides_and_the_history_shows_it(api: Api) -> None:
    inventory_id = seed(api)
    (finding,) = api.call("grid", "GET", f"/inventories/{inventory_id}").json()["findings"]
    path = f"/inventories/{inventory_id}/findings/{finding['id']}"
    no_reason = api.call("grid", "PATCH", path, json={"status": "accepted"})
    assert no_reason.status_code == 422 and "say why" in no_reason.json()["detail"]
    assert (
        api.call("grid", "PATCH", path, json={"status": "fixed", "reason": "x"}).status_code == 422
    )
    assert (
        api.call("operator", "PATCH", path, json={"status": "accepted", "reason": "x"}).status_code
        == 403
    )
    assert (
        api.call("water", "PATCH", path, json={"status": "accepted", "reason": "x"}).status_code
        == 404
    )
    done = api.call("grid2", "PATCH", path, json={"status": "accepted", "reason": "no proxies"})
    assert done.status_code == 200 and done.json()["status"] == "accepted"
    detail = api.call("grid", "GET", path).json()
    assert [e["kind"] for e in detail["history"]] == ["opened", "status"]
    assert detail["history"][1]["actor"] == "user:second@gridco.example"


@needs_reader
def test_upload_a_cyclonedx_file_over_http(api: Api) -> None:
    response = api.call(
        "grid",
        "POST",
        "/inventories",
        files={"file": ("bom.cdx.json", CYCLONEDX, "application/json")},
        data={"inventory": "billing-api"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["findings"]["opened"] == 1 and body["upload"]["declared"] == 2
    assert [s["name"] for s in body["skipped"]] == ["in-house-lib"]
    listed = api.call("grid", "GET", f"/inventories/{body['inventory_id']}").json()
    assert listed["findings"][0]["vulnerability"] == "CVE-2023-32681"


def test_uploads_are_refused_when_too_large_or_not_allowed(api: Api) -> None:
    too_big = api.call(
        "grid",
        "POST",
        "/inventories",
        files={"file": ("bom.json", b" " * (MAX_SBOM_BYTES + 1), "application/json")},
        data={"inventory": "billing-api"},
    )
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"
    foreign = api.call(
        "water",
        "POST",
        "/inventories",
        files={"file": ("bom.json", CYCLONEDX, "application/json")},
        data={"inventory": "billing-api", "organisation": "gridco"},
    )
    assert foreign.status_code == 403
    nameless = api.call(
        "grid", "POST", "/inventories", files={"file": ("bom.json", CYCLONEDX, "application/json")}
    )
    assert nameless.status_code == 422 and "inventory" in nameless.json()["detail"]
    assert (
        api.call(
            None,
            "POST",
            "/inventories",
            files={"file": ("b.json", CYCLONEDX)},
            data={"inventory": "x"},
        ).status_code
        == 401
    )
