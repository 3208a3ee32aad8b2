"""The advisory pages, server-rendered: draft and publish by form with CSRF, read by label."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from clearinghouse.api.deps import SESSION_COOKIE
from clearinghouse.identity.models import User
from clearinghouse.identity.sessions import start_session

from .conftest import PEOPLE, World


def _signed_in(world: World, role: str) -> tuple[str, str]:
    with world.db.session() as session:
        user = session.scalar(select(User).where(User.email == PEOPLE[role][0]))
        assert user is not None
        cookie, web_session = start_session(session, user=user, hours=1)
        return cookie, web_session.csrf_token


def _page(world: World, cookie: str | None, path: str) -> httpx.Response:
    world.client.cookies.clear()
    if cookie:
        world.client.cookies.set(SESSION_COOKIE, cookie)
    response = world.client.get(path, headers={"accept": "text/html"})
    world.client.cookies.clear()
    return response


def _post(world: World, cookie: str, path: str, data: dict[str, str]) -> httpx.Response:
    world.client.cookies.clear()
    world.client.cookies.set(SESSION_COOKIE, cookie)
    response = world.client.post(
        path, data=data, headers={"accept": "text/html"}, follow_redirects=False
    )
    world.client.cookies.clear()
    return response


def test_an_analyst_drafts_and_publishes_by_form_and_the_public_reads_it(world: World) -> None:
    cookie, csrf = _signed_in(world, "analyst")
    listing = _page(world, cookie, "/csaf/advisories")
    assert listing.status_code == 200 and 'action="/csaf/advisories"' in listing.text
    drafted = _post(
        world, cookie, "/csaf/advisories", {"csrf_token": csrf, "vulnerability": "CVE-2016-10745"}
    )
    assert drafted.status_code == 303, drafted.text
    detail_path = drafted.headers["location"]
    assert 'id="no-versions"' in _page(world, cookie, detail_path).text
    assert _page(world, None, detail_path).status_code == 404  # a draft is unseen

    forged = _post(world, cookie, f"{detail_path}/publish", {"status": "final"})
    assert forged.status_code == 403
    bad = _post(world, cookie, f"{detail_path}/edit", {"csrf_token": csrf, "tlp": "PURPLE"})
    assert bad.status_code == 422 and "unknown TLP label" in bad.text
    published = _post(
        world, cookie, f"{detail_path}/publish", {"csrf_token": csrf, "status": "final"}
    )
    assert published.status_code == 303, published.text

    public = _page(world, None, detail_path)
    assert public.status_code == 200
    assert "CVE-2016-10745" in public.text and "Validate, sign and publish" not in public.text
    assert "/versions/1/csaf.json" in public.text
    vendor_cookie, vendor_csrf = _signed_in(world, "vendor")
    refused = _post(world, vendor_cookie, f"{detail_path}/publish", {"csrf_token": vendor_csrf})
    assert refused.status_code == 403
    assert detail_path in _page(world, None, "/csaf/advisories").text
