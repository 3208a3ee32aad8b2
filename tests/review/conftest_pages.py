"""A review with something of everything in it, for the report and page tests.

Built with ORM rows while the review services are being written; the people are made
with the identity service, so that they can log in to the pages.
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
from sqlalchemy.orm import Session

from clearinghouse.api.app import create_app
from clearinghouse.clock import ManualClock
from clearinghouse.identity.models import OrgKind, Role, User
from clearinghouse.identity.principal import Principal, principal_for
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.reports.models import DiscoveredBy, Report, ReportStatus
from clearinghouse.review.models import (
    AccessGrant,
    AccessKind,
    ActivityKind,
    ActivityStatus,
    DesignationStatus,
    FindingKind,
    FrontierModel,
    ModelVersion,
    PartnerDesignation,
    Review,
    ReviewActivity,
    ReviewAssignment,
    ReviewFinding,
    ReviewNote,
)
from clearinghouse.settings import Settings
from clearinghouse.storage import Database, open_database

SUBMITTED_AT = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
RELEASE_AT = SUBMITTED_AT + timedelta(days=40)
NOW = SUBMITTED_AT + timedelta(days=12, hours=3)
PASSWORD = "correct horse battery staple"
# Distinctive words, so that a test can search every rendering for them.
CREDENTIAL = "sk-live-CREDENTIAL-7f3a9c-never-shown"
RESTRICTED_NOTE = "RESTRICTED-NOTE-ALPHA: the exploit chain reaches the hypervisor"
RESTRICTED_NOTE_2 = "RESTRICTED-NOTE-BRAVO: escalate to the interagency cell"
RESTRICTED_FINDING = "RESTRICTED-FINDING-CHARLIE: autonomous lateral movement"
RESTRICTED_FINDING_TEXT = "RESTRICTED-DETAIL-DELTA: succeeded in 7 of 10 ranges"
OPEN_FINDING = "Heap overflow in libtiff found by the model"
PARTNER_FINDING = "Grid Co: SCADA parser crash"
GRIDCO_SCOPE = "GRIDCO-SCOPE: OT protocol fuzzing"
BANKCO_SCOPE = "BANKCO-SCOPE: payment message parsing"

EMAILS = {
    "operator": "ops@clearinghouse.example",
    "reviewer": "reviewer@cisa.example",
    "developer": "dev@frontierlab.example",
    "partner": "partner@gridco.example",
    "other_partner": "partner@bankco.example",
    "outsider": "dev@otherlab.example",
}


@dataclass(frozen=True)
class ReviewScenario:
    review_id: int
    principals: dict[str, Principal]
    emails: dict[str, str]
    password: str
    now: datetime


def _people(session: Session) -> dict[str, User]:
    orgs = [
        ("clearinghouse", "The Clearinghouse", OrgKind.operator),
        ("cisa", "CISA", OrgKind.agency),
        ("frontierlab", "Frontier Lab", OrgKind.ai_developer),
        ("gridco", "Grid Co", OrgKind.critical_infrastructure),
        ("bankco", "Bank Co", OrgKind.critical_infrastructure),
        ("otherlab", "Other Lab", OrgKind.ai_developer),
    ]
    for slug, name, kind in orgs:
        create_organisation(session, slug=slug, name=name, kind=kind, actor="test")
    roles = {
        "operator": ("clearinghouse", Role.operator),
        "reviewer": ("cisa", Role.reviewer),
        "developer": ("frontierlab", Role.developer),
        "partner": ("gridco", Role.partner),
        "other_partner": ("bankco", Role.partner),
        "outsider": ("otherlab", Role.developer),
    }
    return {
        key: create_user(
            session, email=EMAILS[key], org_slug=slug, role=role, actor="test", password=PASSWORD
        )
        for key, (slug, role) in roles.items()
    }


def build_review_scenario(db: Database) -> ReviewScenario:
    """One review twelve days into its window, with notes, findings, partners and grants."""
    with db.session() as session:
        users = _people(session)
        session.flush()
        org = {key: user.organisation_id for key, user in users.items()}
        model = FrontierModel(organisation_id=org["developer"], name="Atlas", description="")
        session.add(model)
        session.flush()
        version = ModelVersion(
            model_id=model.id,
            version="2.0",
            description="A frontier model with tool use.",
            modalities="text,code",
            declared_training_compute_flop=3e25,
            planned_release_at=RELEASE_AT,
            access_kind=AccessKind.api,
            api_base_url="https://api.frontierlab.example/v1",
            api_credential_ciphertext=CREDENTIAL.encode(),
        )
        session.add(version)
        session.flush()
        review = Review(
            model_version_id=version.id,
            submitted_at=SUBMITTED_AT,
            submitted_by=f"user:{EMAILS['developer']}",
            window_closes_at=SUBMITTED_AT + timedelta(days=30),
        )
        session.add(review)
        session.flush()
        day = timedelta(days=1)
        session.add_all(
            [
                ReviewAssignment(
                    review_id=review.id,
                    organisation_id=org["reviewer"],
                    user_id=users["reviewer"].id,
                    assigned_at=SUBMITTED_AT + day,
                    assigned_by=f"user:{EMAILS['operator']}",
                ),
                ReviewActivity(
                    review_id=review.id,
                    kind=ActivityKind.benchmark_battery,
                    title="Cyber benchmark battery",
                    owner_user_id=users["reviewer"].id,
                    due_at=SUBMITTED_AT + 8 * day,
                    status=ActivityStatus.done,
                    completed_at=SUBMITTED_AT + 7 * day,
                    result_summary="Battery run; results attached to the review.",
                ),
                ReviewActivity(
                    review_id=review.id,
                    kind=ActivityKind.red_team,
                    title="Red-team sessions",
                    owner_user_id=users["reviewer"].id,
                    due_at=SUBMITTED_AT + 20 * day,
                    status=ActivityStatus.in_progress,
                ),
                ReviewActivity(
                    review_id=review.id,
                    kind=ActivityKind.partner_testing,
                    title="Partner testing",
                    due_at=SUBMITTED_AT + 27 * day,
                ),
                ReviewNote(
                    review_id=review.id,
                    author=f"user:{EMAILS['reviewer']}",
                    author_user_id=users["reviewer"].id,
                    body=RESTRICTED_NOTE,
                    created_at=SUBMITTED_AT + 5 * day,
                ),
                ReviewNote(
                    review_id=review.id,
                    author=f"user:{EMAILS['reviewer']}",
                    author_user_id=users["reviewer"].id,
                    body=RESTRICTED_NOTE_2,
                    created_at=SUBMITTED_AT + 9 * day,
                ),
            ]
        )
        designations = {}
        for key in ("partner", "other_partner"):
            designation = PartnerDesignation(
                review_id=review.id,
                partner_org_id=org[key],
                proposed_by_org_id=org["reviewer"],
                proposed_by=f"user:{EMAILS['reviewer']}",
                status=DesignationStatus.accepted,
                developer_consented_at=SUBMITTED_AT + 3 * day,
                partner_accepted_at=SUBMITTED_AT + 4 * day,
                created_at=SUBMITTED_AT + 2 * day,
            )
            session.add(designation)
            designations[key] = designation
        session.flush()
        for key, scope, revoked in (
            ("partner", GRIDCO_SCOPE, True),
            ("other_partner", BANKCO_SCOPE, False),
        ):
            session.add(
                AccessGrant(
                    designation_id=designations[key].id,
                    review_id=review.id,
                    model_version_id=version.id,
                    partner_org_id=org[key],
                    scope=scope,
                    starts_at=SUBMITTED_AT + 5 * day,
                    ends_at=SUBMITTED_AT + 25 * day,
                    instructions="Use the partner endpoint.",
                    created_at=SUBMITTED_AT + 5 * day,
                    created_by=f"user:{EMAILS['operator']}",
                    revoked_at=SUBMITTED_AT + 10 * day if revoked else None,
                    revoked_by=f"user:{EMAILS['developer']}" if revoked else None,
                )
            )
        report = Report(
            title=OPEN_FINDING,
            description="Out-of-bounds write in TIFF directory parsing.",
            status=ReportStatus.triaged,
            submitted_by=f"user:{EMAILS['reviewer']}",
            discovered_by=DiscoveredBy.model,
            discovered_by_model_version_id=version.id,
            discovered_during_review_id=review.id,
        )
        session.add(report)
        session.flush()
        session.add_all(
            [
                ReviewFinding(
                    review_id=review.id,
                    organisation_id=org["reviewer"],
                    author=f"user:{EMAILS['reviewer']}",
                    kind=FindingKind.vulnerability,
                    title=OPEN_FINDING,
                    description="Out-of-bounds write in TIFF directory parsing.",
                    severity="high",
                    report_id=report.id,
                    created_at=SUBMITTED_AT + 6 * day,
                ),
                ReviewFinding(
                    review_id=review.id,
                    organisation_id=org["reviewer"],
                    author=f"user:{EMAILS['reviewer']}",
                    kind=FindingKind.capability,
                    title=RESTRICTED_FINDING,
                    description=RESTRICTED_FINDING_TEXT,
                    severity="critical",
                    restricted=True,
                    created_at=SUBMITTED_AT + 8 * day,
                ),
                ReviewFinding(
                    review_id=review.id,
                    organisation_id=org["partner"],
                    author=f"user:{EMAILS['partner']}",
                    kind=FindingKind.safety,
                    title=PARTNER_FINDING,
                    description="The model's generated input crashes our parser.",
                    severity="medium",
                    created_at=SUBMITTED_AT + 9 * day,
                ),
            ]
        )
        session.flush()
        principals = {key: principal_for(user) for key, user in users.items()}
        review_id = review.id
    return ReviewScenario(review_id, principals, dict(EMAILS), PASSWORD, NOW)


CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


@dataclass(frozen=True)
class ReviewSite:
    base_url: str
    db: Database
    scenario: ReviewScenario


@pytest.fixture(scope="module")
def review_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReviewSite]:
    """The whole app on uvicorn, on SQLite, with the scenario's review and a clock at NOW."""
    url = f"sqlite:///{tmp_path_factory.mktemp('review-web') / 'clearinghouse.db'}"
    db = open_database(url)
    scenario = build_review_scenario(db)
    settings = Settings(database_url=url, secret_key="review-browser-tests")
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
    yield ReviewSite(f"http://127.0.0.1:{port}", db, scenario)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    db.dispose()


@pytest.fixture(scope="module")
def review_browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def review_page(review_browser: Browser, review_site: ReviewSite) -> Iterator[Page]:
    """A fresh browser profile with JavaScript off: every page must work without it."""
    context = review_browser.new_context(
        java_script_enabled=False, base_url=review_site.base_url, accept_downloads=True
    )
    page = context.new_page()
    yield page
    context.close()
