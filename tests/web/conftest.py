"""A real uvicorn server on a free loopback port, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from clearinghouse.api.app import create_app
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.intake import ingest_paths
from clearinghouse.settings import Settings
from clearinghouse.storage import Database, open_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SAMPLE_PACKAGES = ("pillow", "pyspark", "jinja2", "requests", "werkzeug", "loguru")
EMAIL = "analyst@gridco.example"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Site:
    base_url: str
    db: Database
    email: str
    password: str


def _fill(db: Database, shared_data: Path) -> None:
    paths = [shared_data / "osv" / "pypi" / name for name in SAMPLE_PACKAGES]
    paths.append(shared_data / "kev" / "known_exploited_vulnerabilities.json")
    summary = ingest_paths(db, paths, actor="test", workers=1)
    assert not summary.rejections, summary.rejections
    with db.session() as session:
        create_organisation(
            session,
            slug="gridco",
            name="Grid Co",
            kind=OrgKind.critical_infrastructure,
            actor="test",
        )
        create_user(
            session,
            email=EMAIL,
            org_slug="gridco",
            role=Role.partner,
            actor="test",
            password=PASSWORD,
        )


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[Site]:
    """The whole app served by uvicorn in a background thread, on SQLite."""
    url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'clearinghouse.db'}"
    db = open_database(url)
    _fill(db, shared_data)
    app = create_app(Settings(database_url=url, secret_key="browser-tests"), db)
    # Binding port 0 ourselves and handing uvicorn the socket leaves no window for a race.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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
    yield Site(base_url=f"http://127.0.0.1:{port}", db=db, email=EMAIL, password=PASSWORD)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    db.dispose()


# Module scope, not session: Playwright's sync API keeps an event loop running while it
# is started, and anyio-based tests that a worker runs afterwards cannot start theirs.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object, site: Site) -> Iterator[object]:
    """A fresh browser profile with JavaScript off: every page must work without it."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    context = browser.new_context(java_script_enabled=False, base_url=site.base_url)
    page = context.new_page()
    yield page
    context.close()
