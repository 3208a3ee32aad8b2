"""A disclosure cast on the real app: coordinators, two vendors, outsiders, a manual clock.

The clock starts a year ahead of the wall clock, on purpose: the vulnerability store's
endpoints read the system clock, so while the manual clock is before an embargo, so is
the store's, and a record the case stored is embargoed for both. Every response is kept
in `World.responses`, so that a test can search them all for a planted marker.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.api.deps import SESSION_COOKIE
from clearinghouse.clock import ManualClock
from clearinghouse.identity.models import OrgKind, Role, User
from clearinghouse.identity.principal import Principal, principal_for
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.identity.sessions import start_session
from clearinghouse.identity.tokens import create_token
from clearinghouse.reports.models import DiscoveredBy, Report, ReportStatus
from clearinghouse.reports.service import create_report
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

START = (datetime.now(UTC) + timedelta(days=400)).replace(hour=9, minute=0, second=0, microsecond=0)
DAY = timedelta(days=1)
EMBARGO_DAYS = 14

ORGS = {
    "ops": ("Clearinghouse operations", OrgKind.operator),
    "acme": ("Acme Software", OrgKind.vendor),
    "globex": ("Globex Libraries", OrgKind.vendor),
    "initech": ("Initech", OrgKind.vendor),
    "lab": ("Security Lab", OrgKind.research),
}
PEOPLE = {
    "operator": ("coordinator@ops.example", "ops", Role.operator),
    "vendor_a": ("psirt@acme.example", "acme", Role.vendor),
    "vendor_a_reporter": ("researcher@acme.example", "acme", Role.reporter),
    "vendor_b": ("psirt@globex.example", "globex", Role.vendor),
    "outsider": ("psirt@initech.example", "initech", Role.vendor),
    "reporter": ("finder@lab.example", "lab", Role.reporter),
}
OUTSIDERS = ("vendor_b", "outsider", "reporter")


@dataclass
class World:
    client: TestClient
    clock: ManualClock
    db: Database
    db_url: str
    tokens: dict[str, str]
    emails: dict[str, str]
    org_ids: dict[str, int]
    responses: list[httpx.Response] = field(default_factory=list)
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: dict[str, str] = field(default_factory=dict)

    def call(
        self, role: str | None, method: str, path: str, json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        url = path if path.startswith("/v1/") else "/api/v1" + path
        response = self.client.request(method, url, json=json, headers=headers, **kwargs)
        self.responses.append(response)
        return response

    def ok(self, role: str, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.call(role, method, path, json)
        assert response.status_code == status, (role, method, path, response.text)
        return response.json()

    def principal(self, role: str) -> Principal:
        with self.db.read_session() as session:
            user = session.scalar(select(User).where(User.email == self.emails[role]))
            assert user is not None
            return principal_for(user)

    def cookie(self, role: str) -> str:
        """A signed-in session of `role` (one per role and world)."""
        if role not in self.cookies:
            with self.db.session() as session:
                user = session.scalar(select(User).where(User.email == self.emails[role]))
                assert user is not None
                self.cookies[role], web_session = start_session(session, user=user, hours=1)
                self.csrf[role] = web_session.csrf_token
        return self.cookies[role]

    def form(self, role: str, path: str, data: dict[str, str]) -> httpx.Response:
        """A form posted from a page of `role`'s session (`data` carries any CSRF token)."""
        self.client.cookies.clear()
        self.client.cookies.set(SESSION_COOKIE, self.cookie(role))
        response = self.client.post(
            path, data=data, headers={"accept": "text/html"}, follow_redirects=False
        )
        self.client.cookies.clear()
        self.responses.append(response)
        return response

    def page(self, role: str | None, path: str) -> httpx.Response:
        """A page as `role` sees it (None: nobody signed in), by session cookie."""
        self.client.cookies.clear()
        if role is not None:
            self.client.cookies.set(SESSION_COOKIE, self.cookie(role))
        response = self.client.get(path, headers={"accept": "text/html"})
        self.client.cookies.clear()
        self.responses.append(response)
        return response


def validated_report(
    db: Database,
    *,
    title: str,
    description: str,
    status: ReportStatus = ReportStatus.validated,
    **fields: Any,
) -> int:
    """A report from the lab's finder, moved to `status` as triage would have left it."""
    with db.session() as session:
        finder = session.scalar(select(User).where(User.email == PEOPLE["reporter"][0]))
        assert finder is not None
        report = create_report(
            session,
            title=title,
            description=description,
            submitted_by=f"user:{finder.email}",
            submitted_by_user_id=finder.id,
            reporter_org_id=finder.organisation_id,
            discovered_by=DiscoveredBy.person,
            now=START - DAY,
            **fields,
        )
        stored = session.get(Report, report.id)
        assert stored is not None
        stored.status = status
        return report.id


def make_world(db_url: str) -> Iterator[World]:
    db = Database(db_url)
    org_ids: dict[str, int] = {}
    tokens: dict[str, str] = {}
    emails: dict[str, str] = {}
    with db.session() as session:
        for slug, (name, kind) in ORGS.items():
            org_ids[slug] = create_organisation(
                session, slug=slug, name=name, kind=kind, actor="test"
            ).id
        for role, (email, org, user_role) in PEOPLE.items():
            user = create_user(session, email=email, org_slug=org, role=user_role, actor="test")
            _, tokens[role] = create_token(session, user=user, name="tests", actor="test")
            emails[role] = email
    clock = ManualClock(START)
    app = create_app(Settings(database_url=db_url, secret_key="t"), db, clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(client, clock, db, db_url, tokens, emails, org_ids)
    db.dispose()


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from make_world(db_url)
