"""The sharing-group pages as people use them: Debian's chromium with JavaScript off.

A real uvicorn on a loopback socket serves the real app on SQLite. The operator creates
a group and adds Acme to it; Acme's user then sees the group, Globex's user gets the 404
page for it (as for a group that does not exist) and no operator forms anywhere.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from clearinghouse.api.app import create_app
from clearinghouse.clock import SystemClock
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.settings import Settings
from clearinghouse.storage import open_database

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
LIST_SCREENSHOT = Path("/tmp/clearinghouse-sharing-groups.png")
GROUP_SCREENSHOT = Path("/tmp/clearinghouse-sharing-group.png")
ORGS = {
    "ops": ("Operations", OrgKind.operator),
    "acme": ("Acme Software", OrgKind.vendor),
    "globex": ("Globex Libraries", OrgKind.vendor),
}
PEOPLE = {
    "operator": ("coordinator@ops.example", "ops", Role.operator),
    "acme": ("psirt@acme.example", "acme", Role.vendor),
    "acme_named": ("lead@acme.example", "acme", Role.vendor),
    "globex": ("psirt@globex.example", "globex", Role.vendor),
}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sharing-pages') / 'clearinghouse.db'}"
    db = open_database(url)
    with db.session() as session:
        for slug, (name, kind) in ORGS.items():
            create_organisation(session, slug=slug, name=name, kind=kind, actor="test")
        for email, org, role in PEOPLE.values():
            create_user(
                session, email=email, org_slug=org, role=role, actor="test", password=PASSWORD
            )
    app = create_app(
        Settings(database_url=url, secret_key="sharing-browser-tests"), db, SystemClock()
    )
    # Binding port 0 ourselves and handing uvicorn the socket leaves no window for a race.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh browser profile with JavaScript off: every page must work without it."""
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, who: str, next_url: str) -> None:
    page.goto(f"/login?next={next_url}")
    page.get_by_label("Email").fill(PEOPLE[who][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_anonymous_visitor_is_sent_to_log_in_first(page: Page) -> None:
    page.goto("/sharing-groups/water")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsharing-groups%2Fwater$"))


def test_the_operator_creates_a_group_and_adds_members(page: Page) -> None:
    log_in(page, "operator", "/sharing-groups")
    expect(page.locator(".no-groups")).to_be_visible()
    page.get_by_label("Slug").fill("water")
    page.get_by_label("Name").fill("Water utilities")
    page.get_by_label("Description").fill("Operators of drinking water systems")
    page.get_by_role("button", name="Create group").click()
    expect(page).to_have_url(re.compile(r"/sharing-groups/water$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Water utilities")
    expect(page.locator(".no-members")).to_be_visible()

    page.get_by_label("Organisation (slug)").fill("acme")
    page.get_by_role("button", name="Add member").click()
    expect(page).to_have_url(re.compile(r"/sharing-groups/water#members$"))
    page.get_by_label("Organisation (slug)").fill("acme")
    page.get_by_label(re.compile("Person's e-mail")).fill(PEOPLE["acme_named"][0])
    page.get_by_role("button", name="Add member").click()
    rows = page.locator("table.members tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Acme Software")
    expect(rows.nth(0)).to_contain_text("the whole organisation")
    expect(rows.nth(1)).to_contain_text("lead@acme.example")

    # Mistakes are answered on the page, naming what is wrong.
    page.get_by_label("Organisation (slug)").fill("acme")
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("alert")).to_contain_text("acme is already a member of 'water'")
    page.get_by_label("Organisation (slug)").fill("globex")
    page.get_by_label(re.compile("Person's e-mail")).fill(PEOPLE["acme"][0])
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("alert")).to_contain_text("belongs to 'acme', not 'globex'")
    expect(page.locator("table.members tbody tr")).to_have_count(2)
    page.screenshot(path=str(GROUP_SCREENSHOT), full_page=True)

    page.get_by_role("button", name="Remove lead@acme.example").click()
    expect(page.locator("table.members tbody tr")).to_have_count(1)

    page.goto("/sharing-groups")
    page.get_by_label("Slug").fill("water")
    page.get_by_label("Name").fill("Again")
    page.get_by_role("button", name="Create group").click()
    expect(page.get_by_role("alert")).to_contain_text("already exists")
    expect(page.get_by_label("Name")).to_have_value("Again")  # kept, to correct it
    expect(page.locator("table.sharing-groups tbody tr")).to_have_count(1)
    page.screenshot(path=str(LIST_SCREENSHOT), full_page=True)


def test_a_members_user_sees_the_group_without_the_operators_forms(page: Page) -> None:
    log_in(page, "acme", "/sharing-groups")
    rows = page.locator("table.sharing-groups tbody tr")
    expect(rows).to_have_count(1)
    rows.get_by_role("link", name="Water utilities").click()
    expect(page).to_have_url(re.compile(r"/sharing-groups/water$"))
    expect(page.locator("table.members")).to_contain_text("Acme Software")
    expect(page.get_by_role("button", name="Add member")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Remove"))).to_have_count(0)


def test_an_outsider_gets_the_not_found_page(page: Page) -> None:
    log_in(page, "globex", "/sharing-groups")
    expect(page.locator(".no-groups")).to_be_visible()
    expect(page.get_by_role("button", name="Create group")).to_have_count(0)
    statuses = {}
    for path in ("/sharing-groups/water", "/sharing-groups/no-such-group"):
        response = page.goto(path)
        assert response is not None
        statuses[path] = (response.status, page.locator("main").inner_text())
        assert "Water utilities" not in page.content()
    (hidden, hidden_text), (missing, missing_text) = statuses.values()
    assert hidden == missing == 404
    # The same page but for the slug: nothing tells a hidden group from a missing one.
    assert hidden_text.replace("water", "X") == missing_text.replace("no-such-group", "X")
    # And the operators' forms refuse a member's user (the service decides).
    csrf = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    response = page.request.post(
        "/sharing-groups/water/members",
        form={"organisation": "globex", "csrf_token": csrf or ""},
        headers={"Accept": "text/html"},
    )
    assert response.status == 403
