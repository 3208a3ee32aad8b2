"""The inventory pages as people use them: Debian's chromium with JavaScript off.

One site for the module (uvicorn on a loopback port, SQLite): Grid Co has an inventory with
findings of several severities; each test works on its own inventory or only reads.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, expect, sync_playwright

from clearinghouse.api.app import create_app
from clearinghouse.clock import ManualClock
from clearinghouse.sbom import service
from clearinghouse.settings import Settings
from clearinghouse.storage import open_database

from .conftest import NOW, PASSWORD, Cast, make_cast, osv, pypi, sbom, store
from .test_inventory_api import CYCLONEDX, needs_reader

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SCREENSHOT = Path("/tmp/clearinghouse-inventory-page.png")


@dataclass(frozen=True)
class Site:
    base_url: str
    cast: Cast
    inventory_id: int


def _seed(cast: Cast) -> int:
    store(
        cast.db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
            severity="MODERATE",
        ),
        osv("PYSEC-2024-1", "jinja2", fixed="3.1.3", aliases=["CVE-2024-22195"], severity="HIGH"),
        osv("PYSEC-2024-2", "jinja2", fixed="3.1.4", aliases=["CVE-2024-34064"], severity="LOW"),
        osv("GHSA-crit-0001", "pyyaml", fixed="5.4", severity="CRITICAL"),
    )
    with cast.db.session() as session:
        return service.upload_document(
            session,
            cast.principals["grid"],
            inventory="billing-api",
            document=sbom(
                pypi("requests", "2.30.0"),
                pypi("Jinja2", "3.1.2"),
                pypi("PyYAML", "5.3"),
                pypi("idna", "3.7"),
            ),
            filename="billing-api.cdx.json",
            content=b"{}",
            now=NOW,
        ).inventory_id


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('inventory-web') / 'clearinghouse.db'}"
    db = open_database(url)
    cast = make_cast(db, passwords=True)
    inventory_id = _seed(cast)
    app = create_app(
        Settings(database_url=url, secret_key="inventory-browser-tests"), db, ManualClock(NOW)
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{sock.getsockname()[1]}", cast, inventory_id)
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


def log_in(page: Page, site: Site, who: str, next_url: str) -> None:
    page.goto(f"/login?next={next_url}")
    page.get_by_label("Email").fill(site.cast.emails[who])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_findings_are_grouped_by_severity_with_fix_advice(page: Page, site: Site) -> None:
    url = f"/inventories/{site.inventory_id}"
    log_in(page, site, "grid", url)
    expect(page).to_have_url(re.compile(rf"{url}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("billing-api")
    groups = page.locator("section.severity-group h2")
    expect(groups).to_have_text([re.compile(s) for s in ("Critical", "High", "Medium", "Low")])
    critical = page.locator("section.severity-group").first
    expect(critical.locator("tr.finding")).to_have_count(1)
    expect(critical).to_contain_text("PyYAML 5.3")
    expect(critical.locator(".fix-advice")).to_have_text("Upgrade PyYAML to 5.4 or later")
    expect(page.locator(".upload-facts")).to_contain_text("4 of 4 components matched")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Each finding leads to its vulnerability.
    page.get_by_role("link", name="CVE-2023-32681").click()
    expect(page).to_have_url(re.compile(r"/vulns/CVE-2023-32681$"))
    expect(page.locator("main")).to_contain_text("PYSEC-2023-74")


def test_filter_by_severity_and_status(page: Page, site: Site) -> None:
    log_in(page, site, "grid2", f"/inventories/{site.inventory_id}")
    page.get_by_label("Severity").select_option("high")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"severity=high"))
    expect(page.locator("tr.finding")).to_have_count(1)
    expect(page.locator("tr.finding")).to_contain_text("CVE-2024-22195")
    page.get_by_label("Severity").select_option("")
    page.get_by_label("Status", exact=True).select_option("fixed")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#no-findings")).to_have_text("No findings match the filter.")


def test_a_member_accepts_a_finding_with_a_reason(page: Page, site: Site) -> None:
    with site.cast.db.session() as session:
        inventory_id = service.upload_document(
            session,
            site.cast.principals["grid"],
            inventory="scada-gateway",
            document=sbom(pypi("requests", "2.30.0")),
            filename="gw.json",
            content=b"{}",
            now=NOW,
        ).inventory_id
    log_in(page, site, "grid", f"/inventories/{inventory_id}")
    finding = page.locator("tr.finding")
    finding.get_by_label("Decision").select_option("accepted")
    finding.get_by_label("Reason").fill("no proxies in this network")
    finding.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(rf"/inventories/{inventory_id}#finding-\d+$"))
    expect(finding.locator(".finding-status")).to_have_text("accepted")
    expect(finding).to_contain_text("no proxies in this network")
    expect(page.locator(".finding-counts")).to_contain_text("1 accepted")


def test_another_organisation_gets_the_not_found_page(page: Page, site: Site) -> None:
    log_in(page, site, "water", "/inventories")
    expect(page.locator("table.inventories")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("There are no inventories you can see yet.")
    for path in (f"/inventories/{site.inventory_id}", "/inventories/424242"):
        response = page.goto(path)
        assert response is not None and response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("404 · Not found")
    assert "billing-api" not in page.content()


def test_a_form_without_the_session_token_is_refused(page: Page, site: Site) -> None:
    log_in(page, site, "grid", "/inventories")
    response = page.request.post(
        f"/inventories/{site.inventory_id}/findings/1",
        form={"status": "accepted", "reason": "forged", "csrf_token": "not-the-token"},
    )
    assert response.status == 403


@needs_reader
def test_upload_an_sbom_through_the_form(page: Page, site: Site, tmp_path: Path) -> None:
    bom = tmp_path / "payments.cdx.json"
    bom.write_bytes(CYCLONEDX)
    log_in(page, site, "grid", "/inventories")
    page.get_by_label("Inventory name").fill("payments")
    page.get_by_label(re.compile("SBOM or lockfile")).set_input_files(str(bom))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("payments")
    expect(page.locator("tr.finding")).to_contain_text("CVE-2023-32681")
    expect(page.locator("ul.skipped")).to_contain_text("in-house-lib")

    # A file that is no SBOM: the same page again, saying what is wrong.
    bad = tmp_path / "notes.json"
    bad.write_bytes(b'{"hello": "world"}')
    page.goto("/inventories")
    page.get_by_label("Inventory name").fill("payments")
    page.get_by_label(re.compile("SBOM or lockfile")).set_input_files(str(bad))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Inventories")
