"""The notification settings page as people use it: Debian's chromium with JavaScript off.

A real uvicorn on a loopback socket serves the real app on SQLite. Acme's user adds a
webhook and sees its secret once, rotates and removes it, adds an e-mail recipient, and
sends a dead letter again; Globex's user asking for Acme's settings gets the 404 page.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import select

from clearinghouse.api.app import create_app
from clearinghouse.clock import ManualClock
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.principal import local_operator
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.notifications import service
from clearinghouse.notifications.delivery import dead_letter, fan_out
from clearinghouse.notifications.models import DeliveryStatus, NotificationDelivery
from clearinghouse.review.notifications import queue
from clearinghouse.settings import Settings
from clearinghouse.storage import Database, open_database

pytestmark = pytest.mark.browser

NOW = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "correct horse battery staple"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SCREENSHOT = Path("/tmp/clearinghouse-notification-settings.png")
SECRET_SCREENSHOT = Path("/tmp/clearinghouse-webhook-secret.png")
PEOPLE = {
    "acme": ("psirt@acme.example", "acme", Role.vendor),
    "globex": ("psirt@globex.example", "globex", Role.vendor),
    "operator": ("coordinator@ops.example", "ops", Role.operator),
}


@dataclass(frozen=True)
class Site:
    base_url: str
    db: Database
    settings: Settings
    dead_letter: str  # public id of Acme's dead-lettered delivery


def _dead_letter(db: Database, settings: Settings) -> str:
    """A delivery to an unreachable loopback port, dead-lettered as the worker would."""
    with socket.socket() as probe:  # a port nobody listens on once this is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with db.session() as session:
        acme_id = create_organisation(
            session, slug="acme", name="Acme Software", kind=OrgKind.vendor, actor="test"
        ).id
        for slug, name in (("globex", "Globex Libraries"), ("ops", "Operations")):
            kind = OrgKind.operator if slug == "ops" else OrgKind.vendor
            create_organisation(session, slug=slug, name=name, kind=kind, actor="test")
        for email, org, role in PEOPLE.values():
            create_user(
                session, email=email, org_slug=org, role=role, actor="test", password=PASSWORD
            )
        created = service.create_subscription(
            session,
            local_operator("test"),
            settings,
            url=f"http://127.0.0.1:{port}/hook",
            organisation="acme",
            now=NOW,
        )
        queue(
            session,
            recipients=[acme_id],
            kind="finding.new",
            subject_type="inventory",
            subject_id="1",
            body="a new finding",
            event_key="pages-test:1",
            now=NOW,
        )
        fan_out(session, now=NOW)
        delivery = session.scalar(
            select(NotificationDelivery).where(
                NotificationDelivery.subscription_id == created.subscription.id
            )
        )
        assert delivery is not None
        delivery.attempts = settings.webhook_max_attempts
        delivery.last_error = "connection refused"
        dead_letter(session, delivery, now=NOW)
        # The unreachable endpoint itself goes: the page then starts with no webhooks.
        service.remove_subscription(
            session, local_operator("test"), created.subscription.id, now=NOW
        )
        return delivery.public_id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('notification-pages') / 'clearinghouse.db'}"
    settings = Settings(
        database_url=url,
        secret_key="notification-browser-tests",
        encryption_key=Fernet.generate_key().decode(),
    )
    db = open_database(url)
    public_id = _dead_letter(db, settings)
    app = create_app(settings, db, ManualClock(NOW))
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
    yield Site(f"http://127.0.0.1:{port}", db, settings, public_id)
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
def page(browser: Browser, site: Site) -> Iterator[Page]:
    """A fresh browser profile with JavaScript off: every page must work without it."""
    context = browser.new_context(java_script_enabled=False, base_url=site.base_url)
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, who: str, next_url: str) -> None:
    page.goto(f"/login?next={next_url}")
    page.get_by_label("Email").fill(PEOPLE[who][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_an_anonymous_visitor_is_sent_to_log_in_first(page: Page) -> None:
    page.goto("/settings/notifications?org=acme")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fsettings%2Fnotifications%3Forg%3Dacme$"))
    page.get_by_label("Email").fill(PEOPLE["acme"][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/settings/notifications\?org=acme$"))
    expect(page.locator(".channel-name")).to_have_text("Acme Software")


def test_a_user_adds_a_webhook_sees_its_secret_once_rotates_and_removes_it(page: Page) -> None:
    log_in(page, "acme", "/settings/notifications")
    expect(page.get_by_role("heading", level=1)).to_have_text("Notification settings")
    expect(page.locator(".no-webhooks")).to_be_visible()
    page.get_by_label("URL").fill("https://hooks.acme.example/clearinghouse")
    page.get_by_label("Kinds, comma-separated (empty: all)").first.fill("finding.new, review.*")
    page.get_by_role("button", name="Add webhook").click()

    secret = page.locator("pre.webhook-secret").inner_text().strip()
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]{40,}", secret), secret
    expect(page.locator("main")).to_contain_text("shown this once")
    page.screenshot(path=str(SECRET_SCREENSHOT), full_page=True)

    page.get_by_role("link", name="Back to the notification settings").click()
    row = page.locator("table.webhooks tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("https://hooks.acme.example/clearinghouse")
    expect(row).to_contain_text("finding.new, review.*")
    page.reload()
    assert secret not in page.content()

    row.get_by_role("button", name="Rotate secret").click()
    rotated = page.locator("pre.webhook-secret").inner_text().strip()
    assert rotated.startswith("whsec_") and rotated != secret
    expect(page.locator("main")).to_contain_text("the old one no longer works")
    page.goto("/settings/notifications")
    assert rotated not in page.content()

    page.locator("table.webhooks").get_by_role("button", name="Remove").click()
    expect(page).to_have_url(re.compile(r"/settings/notifications#webhooks$"))
    expect(page.locator("table.webhooks")).to_have_count(0)
    expect(page.locator(".no-webhooks")).to_be_visible()


def test_a_bad_webhook_url_is_answered_on_the_page(page: Page) -> None:
    log_in(page, "acme", "/settings/notifications")
    page.get_by_label("URL").fill("http://hooks.acme.example/plain")
    page.get_by_role("button", name="Add webhook").click()
    expect(page.get_by_role("alert")).to_contain_text("use https://")
    expect(page.get_by_label("URL")).to_have_value("http://hooks.acme.example/plain")  # kept
    expect(page.locator("table.webhooks")).to_have_count(0)


def test_a_user_adds_and_removes_an_email_recipient(page: Page) -> None:
    log_in(page, "acme", "/settings/notifications")
    page.get_by_label("Address").fill("alerts@acme.example")
    page.get_by_role("button", name="Add recipient").click()
    expect(page).to_have_url(re.compile(r"/settings/notifications#email$"))
    rows = page.locator("table.recipients tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("alerts@acme.example")
    expect(rows).to_contain_text("all kinds")
    rows.get_by_role("button", name="Remove alerts@acme.example").click()
    expect(page.locator("table.recipients")).to_have_count(0)


def test_a_dead_letter_shows_in_the_log_and_redeliver_puts_it_back_to_pending(
    page: Page, site: Site
) -> None:
    log_in(page, "acme", "/settings/notifications")
    page.get_by_label("Status").select_option("dead")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"status=dead"))
    row = page.locator(f"tr#{site.dead_letter}")
    expect(row.locator(".delivery-status")).to_have_text("dead")
    expect(row).to_contain_text("connection refused")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    row.get_by_role("button", name="Redeliver").click()
    expect(page).to_have_url(re.compile(r"status=dead#deliveries$"))
    expect(page.locator(f"tr#{site.dead_letter}")).to_have_count(0)  # no longer dead
    page.goto("/settings/notifications?status=pending")
    row = page.locator(f"tr#{site.dead_letter}")
    expect(row.locator(".delivery-status")).to_have_text("pending")
    expect(row.get_by_role("button", name="Redeliver")).to_have_count(0)
    with site.db.read_session() as session:
        stored = session.scalar(
            select(NotificationDelivery).where(NotificationDelivery.public_id == site.dead_letter)
        )
        assert stored is not None and stored.status is DeliveryStatus.pending
        assert stored.attempts == 0


def test_another_organisations_user_gets_the_not_found_page(page: Page, site: Site) -> None:
    log_in(page, "globex", "/settings/notifications")
    expect(page.locator(".channel-name")).to_have_text("Globex Libraries")
    assert site.dead_letter not in page.content()  # Acme's log is not Globex's
    for path in ("/settings/notifications?org=acme", "/settings/notifications?org=nowhere"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_contain_text("404")
        assert "Acme Software" not in page.content()
        assert site.dead_letter not in page.content()
    # The forms refuse the same way: Acme's channel is not Globex's to change.
    page.goto("/settings/notifications")
    response = page.request.post(
        "/settings/notifications/webhooks",
        form={"url": "https://evil.example/hook", "org": "acme", "csrf_token": _csrf(page)},
        headers={"Accept": "text/html"},
    )
    assert response.status == 404
    with site.db.read_session() as session:
        urls = [s.url for s in service.list_subscriptions(session, local_operator("test"))]
    assert "https://evil.example/hook" not in urls


def test_an_operator_picks_an_organisation(page: Page, site: Site) -> None:
    log_in(page, "operator", "/settings/notifications")
    expect(page.locator(".channel-name")).to_have_text("the operators")
    page.get_by_label("Organisation (slug; empty: the operators' own)").fill("acme")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".channel-name")).to_have_text("Acme Software")
    expect(page.locator(f"tr#{site.dead_letter}")).to_have_count(1)


def _csrf(page: Page) -> str:
    value = page.locator('input[name="csrf_token"]').first.get_attribute("value")
    assert value
    return value
