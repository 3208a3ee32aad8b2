"""The report pages as people use them: Debian's chromium with JavaScript off.

The submission form, the triage queue (filter, order, bulk action over a model run) and
the report page (duplicates with scores, evidence, history), per role.
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
from clearinghouse.identity.models import User
from clearinghouse.identity.principal import principal_for
from clearinghouse.reports.attachments import BlobStore
from clearinghouse.reports.intake import draft_from_structured, submit_report
from clearinghouse.settings import Settings
from clearinghouse.storage import open_database

from .conftest import PASSWORD, PEOPLE, START, make_people

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
SCREENSHOT = Path("/tmp/clearinghouse-report-page.png")

ORIGINAL = {
    "title": "Heap overflow in the TIFF directory parser",
    "description": "tif_dirread.c reads past the end of the IFD buffer when a directory entry "
    "declares more values than the tag type holds; a crafted TIFF crashes the parser.",
    "package": {"ecosystem": "PyPI", "name": "pillow"},
    "affected": {
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "9.0.1"}]}]
    },
    "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H",
    "discovered_by": "model",
    "model_run": "atlas-run-7",
}
REPEAT = {**ORIGINAL, "model_run": "atlas-run-8"}


@dataclass(frozen=True)
class ReportSite:
    base_url: str
    ids: dict[str, int]


@pytest.fixture(scope="module")
def report_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReportSite]:
    """The whole app on uvicorn, on SQLite, with a model run's reports and a duplicate."""
    folder = tmp_path_factory.mktemp("report-web")
    url = f"sqlite:///{folder / 'clearinghouse.db'}"
    db = open_database(url)
    make_people(db, passwords=True)
    ids: dict[str, int] = {}
    with db.session() as session:
        lab = principal_for(session.query(User).filter_by(email=PEOPLE["lab"][0]).one())
        blobs = BlobStore(folder / "blobs")
        for name, body in (("original", ORIGINAL), ("repeat", REPEAT)):
            ids[name] = submit_report(
                session, lab, draft_from_structured(body), blobs=blobs, now=START
            ).id
        for n in range(12):
            body = {
                "title": f"Finding {n} of run 7: unchecked length in codec{n}",
                "description": f"codec{n}.c copies frame{n} without checking length{n}.",
                "location": f"src/codec{n}.c:{n + 1}",
                "discovered_by": "model",
                "model_run": "atlas-run-7",
            }
            submit_report(session, lab, draft_from_structured(body), blobs=blobs, now=START)
    app = create_app(
        Settings(database_url=url, secret_key="report-browser-tests"), db, ManualClock(START)
    )
    app.state.attachments_root = folder / "blobs"
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
    yield ReportSite(f"http://127.0.0.1:{port}", ids)
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
def page(browser: Browser, report_site: ReportSite) -> Iterator[Page]:
    """A fresh browser profile with JavaScript off: every page must work without it."""
    context = browser.new_context(java_script_enabled=False, base_url=report_site.base_url)
    tab = context.new_page()
    yield tab
    context.close()


def log_in(page: Page, role: str, next_url: str) -> None:
    page.goto(f"/login?next={next_url}")
    page.get_by_label("Email").fill(PEOPLE[role][0])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_reporter_submits_the_form_with_a_proof_of_concept(page: Page, tmp_path: Path) -> None:
    log_in(page, "researcher", "/reports/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Report a vulnerability")
    page.get_by_label("Title").fill("Path traversal in the archive extractor")
    page.get_by_label("Description").fill(
        "extract() joins member names to the target folder without normalising '..'."
    )
    page.get_by_label("Ecosystem (OSV name").fill("PyPI")
    page.get_by_label("Package").fill("tarfile-utils")
    page.get_by_label("Fixed in version").fill("2.0.1")
    page.get_by_label("CVSS vector").fill(
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N"
    )
    poc = tmp_path / "poc.py"
    poc.write_text("import tarfile  # builds ../../evil\n")
    page.get_by_label("Proof of concept or log").set_input_files(str(poc))
    page.get_by_role("button", name="Submit report").click()
    expect(page).to_have_url(re.compile(r"/reports/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Path traversal in the archive extractor"
    )
    expect(page.locator(".report-facts")).to_contain_text("received")
    expect(page.locator(".report-scores .cvss")).to_contain_text("8.6")
    expect(page.get_by_role("link", name="poc.py")).to_be_visible()
    # The reporter's view has no triage forms and no evidence section.
    expect(page.get_by_role("heading", name="Triage")).to_have_count(0)
    expect(page.get_by_role("heading", name="Validation evidence")).to_have_count(0)


def test_a_bad_vector_comes_back_on_the_form_with_the_error(page: Page) -> None:
    log_in(page, "researcher", "/reports/new")
    page.get_by_label("Title").fill("Broken vector")
    page.get_by_label("Description").fill("The vector below is missing a metric.")
    page.get_by_label("CVSS vector").fill("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H")
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_role("alert")).to_contain_text('Missing mandatory metrics "A"')
    expect(page.get_by_label("Title")).to_have_value("Broken vector")


def test_the_analyst_filters_the_queue_and_triages_a_whole_run(page: Page) -> None:
    log_in(page, "analyst", "/reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    page.get_by_label("Model run").fill("atlas-run-7")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("tr.report-row")
    expect(rows).to_have_count(13)
    expect(page.locator(".result-count")).to_contain_text("13 reports")
    page.get_by_label("Move to").select_option("triaged")
    page.get_by_label("Reason", exact=True).fill("run 7 is in scope")
    page.get_by_label("Every open report of run atlas-run-7").check()
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("status")).to_contain_text("13 reports moved.")
    page.get_by_label("Status").select_option("triaged")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tr.report-row")).to_have_count(13)
    expect(page.locator("tr.report-row .report-status").first).to_have_text("triaged")


def test_the_report_page_shows_duplicates_with_scores_evidence_and_history(
    page: Page, report_site: ReportSite
) -> None:
    repeat, original = report_site.ids["repeat"], report_site.ids["original"]
    log_in(page, "analyst", f"/reports/{repeat}")
    expect(page.locator(".duplicate-of")).to_contain_text(
        f"Duplicate of report #{original} (score 1.00)"
    )
    link = page.locator("table.links tbody tr").first
    expect(link).to_contain_text("near_duplicate")  # no location: matched by its text
    expect(link.locator(".score")).to_have_text("1.00")
    page.goto(f"/reports/{original}")
    expect(page.locator("table.repeated-by")).to_contain_text(f"#{repeat}")
    page.goto(f"/reports/{repeat}")  # run 8: not moved by the bulk action of run 7
    page.get_by_label("Reproduction steps").fill(
        "python -c 'from PIL import Image; Image.open(\"crash.tif\")'"
    )
    page.get_by_label("Environment").fill("Debian 12, Pillow 9.0.0, ASan build")
    page.get_by_label("Result").select_option("reproduced")
    page.get_by_role("button", name="Add evidence").click()
    expect(page.locator(".evidence h3")).to_contain_text("reproduced")
    for step in ("triaged", "validating", "validated"):
        form = page.get_by_role("form", name="Triage")
        form.get_by_label("Move to").select_option(step)
        form.get_by_label("Reason", exact=True).fill(f"now {step}")
        form.get_by_role("button", name="Move").click()
    expect(page.locator(".report-facts")).to_contain_text("validated")
    history = page.locator("table.history tbody tr")
    expect(history.last).to_contain_text("validating → validated")
    expect(history.last).to_contain_text("user:analyst@cisa.example")
    expect(page.get_by_role("heading", name="Triage")).to_have_count(0)  # nowhere to go
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_another_reporter_gets_the_not_found_page(page: Page, report_site: ReportSite) -> None:
    log_in(page, "other_lab", "/reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your reports")
    expect(page.locator("tr.report-row")).to_have_count(0)
    response = page.goto(f"/reports/{report_site.ids['original']}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("404 · Not found")
    assert "TIFF" not in page.content()
