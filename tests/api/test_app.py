"""The application shell: health, OpenAPI, security headers, body limits, problem details."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from httpx import AsyncClient

from clearinghouse import __version__
from clearinghouse.api.app import create_app
from clearinghouse.api.problems import json_path
from clearinghouse.settings import Settings

from .test_vulns_api import assert_problem

pytestmark = pytest.mark.anyio


@pytest.fixture
async def small_client(db_url: str) -> AsyncIterator[AsyncClient]:
    """The app on an empty database, with a 2 kB request limit."""
    app = create_app(Settings(database_url=db_url, secret_key="test", max_request_bytes=2048))

    @app.get("/api/v1/test-failure", include_in_schema=False)
    def failing_route() -> None:
        raise RuntimeError("secret internal state: /etc/clearinghouse")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    app.state.db.dispose()


async def test_health_and_security_headers(small_client: AsyncClient) -> None:
    response = await small_client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": __version__}
    csp = response.headers["content-security-policy"]
    assert "script-src 'none'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


async def test_openapi_describes_the_api(small_client: AsyncClient) -> None:
    spec = (await small_client.get("/api/v1/openapi.json")).json()
    assert spec["info"] == {
        "title": "Clearinghouse",
        "version": __version__,
        "description": spec["info"]["description"],
    }
    assert {"/api/v1/vulns", "/api/v1/vulns/{identifier}", "/api/v1/health"} <= set(spec["paths"])
    assert not any(path.startswith("/vulns") or path == "/login" for path in spec["paths"])
    post = spec["paths"]["/api/v1/vulns"]["post"]
    assert "application/json" in post["requestBody"]["content"]
    assert {"201", "401", "403", "413", "422"} <= set(post["responses"])


async def test_api_docs_allow_only_their_own_inline_script(small_client: AsyncClient) -> None:
    response = await small_client.get("/api/v1/docs")
    assert response.status_code == 200
    script_src = next(
        part
        for part in response.headers["content-security-policy"].split(";")
        if "script-src" in part
    )
    assert "'sha256-" in script_src and "unsafe-inline" not in script_src
    assert "/api/v1/openapi.json" in response.text


async def test_unknown_routes_and_methods_are_problems(small_client: AsyncClient) -> None:
    body = assert_problem(await small_client.get("/api/v1/no-such-thing"), 404)
    assert body == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "nothing at /api/v1/no-such-thing",
        "instance": "/api/v1/no-such-thing",
    }
    assert_problem(await small_client.delete("/api/v1/vulns"), 405)
    # A program (no text/html in Accept) gets JSON from a page URL too.
    assert_problem(await small_client.get("/no-such-page"), 404)


async def test_a_browser_gets_an_html_problem_page(small_client: AsyncClient) -> None:
    response = await small_client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "nothing at /no-such-page" in response.text


async def test_bodies_over_the_limit_are_refused_with_413(small_client: AsyncClient) -> None:
    declared = await small_client.post(
        "/api/v1/vulns",
        content=b"{" + b" " * 4096 + b"}",
        headers={"Content-Type": "application/json"},
    )
    body = assert_problem(declared, 413)
    assert body["title"] == "Request body too large"
    assert "2048" in body["detail"]
    assert declared.headers["x-frame-options"] == "DENY"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b" " * 512

    streamed = await small_client.post("/api/v1/vulns", content=chunks())
    assert "content-length" not in streamed.request.headers
    assert_problem(streamed, 413)
    # Under the limit, the same route answers normally (here: who are you?).
    assert_problem(await small_client.post("/api/v1/vulns", content=b"{}"), 401)


async def test_an_unexpected_error_is_a_500_problem_without_the_trace(
    small_client: AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    response = await small_client.get("/api/v1/test-failure")
    body = assert_problem(response, 500)
    assert "secret internal state" not in response.text
    assert "RuntimeError" not in response.text
    assert body["title"] == "Internal Server Error"
    assert "secret internal state" in caplog.text  # the log has it, the client does not


def test_json_paths_of_validation_errors() -> None:
    assert json_path(("body", "affected", 0, "package")) == "$.affected[0].package"
    assert json_path(("body",)) == "$"
    assert json_path(("query", "per_page")) == "query.per_page"
