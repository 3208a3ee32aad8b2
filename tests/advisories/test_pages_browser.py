"""The CSAF advisory pages as people use them: Debian's chromium with JavaScript off.

An analyst drafts an advisory from a real record through the form, publishes it (the
server validates, signs and stores it), and an anonymous visitor then reads the published
TLP:CLEAR version and follows it to the signed document in the provider layout.
"""

from __future__ import annotations

import hashlib
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from clearinghouse.api.app import create_app
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.intake import ingest_paths
from clearinghouse.settings import Settings
from clearinghouse.storage import Database, open_database

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
PASSWORD = "correct horse battery staple"
ANALYST = "analyst@cisa.example"
RECORD = "PYSEC-2019-220"  # Jinja2: str.format escapes the sandbox (CVE-2016-10745)
SCREENSHOT = Path("/tmp/clearinghouse-csaf-advisory-page.png")


@dataclass(frozen=True)
class Site:
    base_url: str
    db: Database


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("advisory-web")
    url = f"sqlite:///{folder / 'clearinghouse.db'}"
    db = open_database(url)
    ingest_paths(db, [shared_data / "osv" / "pypi" / "jinja2" / f"{RECORD}.yaml"], workers=0)
    with db.session() as session:
        create_organisation(session, slug="cisa", name="CISA", kind=OrgKind.agency, actor="t")
        create_user(
            session,
            email=ANALYST,
            org_slug="cisa",
            role=Role.reviewer,
            actor="t",
            password=PASSWORD,
        )
    settings = Settings(database_url=url, secret_key="advisory-browser-tests")
    app = create_app(settings, db)
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
    yield Site(f"http://127.0.0.1:{port}", db)
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


def _page(browser: Browser, site: Site) -> Page:
    # A fresh profile with JavaScript off: every page must work without it.
    context = browser.new_context(java_script_enabled=False, base_url=site.base_url)
    return context.new_page()


def test_an_analyst_publishes_and_an_anonymous_visitor_reads_the_signed_advisory(
    browser: Browser, site: Site
) -> None:
    page = _page(browser, site)
    page.goto("/login?next=/csaf/advisories")
    page.get_by_label("Email").fill(ANALYST)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#no-advisories")).to_be_visible()

    page.get_by_label("From a vulnerability").fill("CVE-2016-10745")  # an alias finds it
    page.get_by_role("button", name="Draft").click()
    expect(page).to_have_url(re.compile(r"/csaf/advisories/\d+$"))
    expect(page.locator("#no-versions")).to_have_text("Not published yet.")
    advisory_path = page.url.removeprefix(site.base_url)

    page.get_by_label("Status").select_option("final")
    page.get_by_label("What this version changes").fill("Initial release")
    page.get_by_role("button", name="Validate, sign and publish").click()
    rows = page.locator("table.versions tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("final")
    expect(rows.first).to_contain_text("Initial release")
    expect(page.locator("#advisory-status")).to_have_text("final")
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.context.close()

    visitor = _page(browser, site)
    visitor.goto("/csaf/advisories")
    listed = visitor.locator("table.advisories tbody tr")
    expect(listed).to_have_count(1)
    tracking_id = listed.locator("td.id").inner_text().strip()
    listed.get_by_role("link", name=tracking_id).click()
    expect(visitor).to_have_url(re.compile(re.escape(advisory_path) + "$"))
    expect(visitor.get_by_role("heading", name="Summary")).to_be_visible()
    expect(visitor.locator("main")).to_contain_text("CVE-2016-10745")
    expect(visitor.get_by_role("heading", name="Publish a version")).to_have_count(0)
    visitor.context.close()

    # The same version, as the provider serves it to anyone: the bytes its digest names.
    index = httpx.get(f"{site.base_url}/.well-known/csaf/white/index.txt").text.split()
    assert [path.endswith(f"{tracking_id.lower()}.json") for path in index] == [True]
    document = httpx.get(f"{site.base_url}/.well-known/csaf/white/{index[0]}").content
    digest = httpx.get(f"{site.base_url}/.well-known/csaf/white/{index[0]}.sha256").text
    assert digest.split()[0] == hashlib.sha256(document).hexdigest()
    csaf = orjson.loads(document)
    assert csaf["document"]["tracking"]["id"] == tracking_id
    assert csaf["document"]["tracking"]["status"] == "final"
    assert csaf["vulnerabilities"][0]["cve"] == "CVE-2016-10745"
