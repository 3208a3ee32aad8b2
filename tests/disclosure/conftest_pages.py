"""Two cases on the real app under uvicorn, for the browser tests: people who can log in.

Built with the services (as the API would), on SQLite, with a manual clock; the module-
scoped fixtures are shared by the tests of one module, which run in order.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from clearinghouse.api.app import create_app
from clearinghouse.clock import ManualClock
from clearinghouse.disclosure import service
from clearinghouse.disclosure.fields import CaseChanges
from clearinghouse.disclosure.models import CaseStatus, StatementStatus
from clearinghouse.identity import local_operator
from clearinghouse.identity.principal import principal_for
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.reports.models import DiscoveredBy, Report, ReportStatus
from clearinghouse.reports.service import create_report
from clearinghouse.settings import Settings
from clearinghouse.storage import Database, open_database

from .conftest import ORGS, PEOPLE

NOW = (datetime.now(UTC) + timedelta(days=400)).replace(hour=9, minute=0, second=0, microsecond=0)
EMBARGO_ENDS = NOW + timedelta(days=10)
PASSWORD = "correct horse battery staple"
SECRET_A = "SECRET-A-3d1f: the decoder trusts the frame length"
SECRET_B = "SECRET-B-77ac: archive entries escape the folder"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@dataclass(frozen=True)
class Cases:
    a: int  # Acme's, under embargo: the vendor's test answers on it
    b: int  # Globex's, under embargo: nobody else may see it
    c: int  # no vendor yet: the coordinator's test runs it to publication
    d: int  # published when the site starts: the anonymous visitor's test reads it


@dataclass(frozen=True)
class DisclosureSite:
    base_url: str
    db: Database
    clock: ManualClock
    cases: Cases
    emails: dict[str, str]


def _report(db: Database, title: str, description: str) -> int:
    with db.session() as session:
        report = create_report(
            session,
            title=title,
            description=description,
            submitted_by="user:finder@lab.example",
            discovered_by=DiscoveredBy.person,
            package_ecosystem="PyPI",
            package_name="framecodec",
            affected_versions="<2.4.1",
            tlp="CLEAR",
            now=NOW - timedelta(days=1),
        )
        stored = session.get(Report, report.id)
        assert stored is not None
        stored.status = ReportStatus.validated
        return report.id


def build_cases(db: Database) -> Cases:
    """Each test gets a case of its own, so that the tests may run in any order or worker."""
    with db.session() as session:
        for slug, (name, kind) in ORGS.items():
            create_organisation(session, slug=slug, name=name, kind=kind, actor="test")
        users = {
            key: create_user(session, email=email, org_slug=org, role=role, actor="test",
                             password=PASSWORD)
            for key, (email, org, role) in PEOPLE.items()
            if key in ("operator", "vendor_a", "vendor_b", "outsider")
        }  # fmt: skip
    reports = [
        _report(db, "Heap overflow in framecodec", SECRET_A),
        _report(db, "Path traversal in globex-archive", SECRET_B),
        _report(db, "Integer overflow in framecodec headers", "Headers wrap around."),
        _report(db, "Use after free in framecodec streams", "Streams are freed twice."),
    ]
    coordinator = local_operator("tests")
    changes = CaseChanges(embargo_ends_at=EMBARGO_ENDS, summary="Remote code execution")
    with db.session() as session:
        a, b, c = (
            service.open_case(session, coordinator, report_ids=[report], changes=changes, now=NOW)
            for report in reports[:3]
        )
        d = service.open_case(
            session, coordinator, report_ids=[reports[3]],
            changes=CaseChanges(embargo_ends_at=NOW), now=NOW,
        )  # fmt: skip
        service.invite_vendor(session, coordinator, case_id=a.id, organisation_slug="acme", now=NOW)
        service.invite_vendor(
            session, coordinator, case_id=b.id, organisation_slug="globex", now=NOW
        )
        service.post_statement(
            session, principal_for(users["vendor_b"]), case_id=b.id,
            status=StatementStatus.not_affected, now=NOW,
        )  # fmt: skip
        service.move_case(session, coordinator, case_id=d.id, to=CaseStatus.published, now=NOW)
        return Cases(a.id, b.id, c.id, d.id)


@pytest.fixture(scope="module")
def disclosure_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DisclosureSite]:
    url = f"sqlite:///{tmp_path_factory.mktemp('disclosure-web') / 'clearinghouse.db'}"
    db = open_database(url)
    cases = build_cases(db)
    clock = ManualClock(NOW + timedelta(days=1))
    app = create_app(Settings(database_url=url, secret_key="disclosure-browser-tests"), db, clock)
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
    emails = {key: email for key, (email, _, _) in PEOPLE.items()}
    yield DisclosureSite(f"http://127.0.0.1:{port}", db, clock, cases, emails)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    db.dispose()


@pytest.fixture(scope="module")
def disclosure_browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def disclosure_page(disclosure_browser: Browser, disclosure_site: DisclosureSite) -> Iterator[Page]:
    """A fresh browser profile with JavaScript off: every page must work without it."""
    context = disclosure_browser.new_context(
        java_script_enabled=False, base_url=disclosure_site.base_url
    )
    page = context.new_page()
    yield page
    context.close()
