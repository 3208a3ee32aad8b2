"""The reports area on the real app: people of every role with tokens, a manual clock.

`Site.call` keeps every response, so a test can look through all of them afterwards (for a
report that must not be seen, say).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
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
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

START = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"

ORGS = {
    "ops": ("Clearinghouse operations", OrgKind.operator),
    "cisa": ("CISA", OrgKind.agency),
    "frontierlab": ("Frontier Lab", OrgKind.ai_developer),
    "otherlab": ("Other Lab", OrgKind.ai_developer),
    "researchco": ("Research Co", OrgKind.research),
    "vendorco": ("Vendor Co", OrgKind.vendor),
}
PEOPLE = {
    "operator": ("ops@ops.example", "ops", Role.operator),
    "analyst": ("analyst@cisa.example", "cisa", Role.reviewer),
    "lab": ("pipeline@frontierlab.example", "frontierlab", Role.developer),
    "lab2": ("security@frontierlab.example", "frontierlab", Role.reporter),
    "other_lab": ("pipeline@otherlab.example", "otherlab", Role.developer),
    "researcher": ("alice@researchco.example", "researchco", Role.reporter),
    "vendor": ("psirt@vendorco.example", "vendorco", Role.vendor),
}


@dataclass
class Site:
    client: TestClient
    clock: ManualClock
    db: Database
    db_url: str
    blobs: Path
    tokens: dict[str, str]
    emails: dict[str, str]
    org_ids: dict[str, int]
    responses: list[httpx.Response] = field(default_factory=list)

    def call(
        self, role: str | None, method: str, path: str, json: Any = None, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        response = self.client.request(
            method, "/api/v1" + path, json=json, headers=headers, **kwargs
        )
        self.responses.append(response)
        return response

    def ok(self, role: str, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.call(role, method, path, json)
        assert response.status_code == status, (role, method, path, response.text)
        return response.json()

    def submit(self, role: str, body: dict[str, Any]) -> dict[str, Any]:
        reports = self.ok(role, "POST", "/reports", body, status=201)["reports"]
        assert len(reports) == 1
        report: dict[str, Any] = reports[0]
        return report

    def principal(self, role: str) -> Principal:
        with self.db.read_session() as session:
            user = session.scalar(select(User).where(User.email == self.emails[role]))
            assert user is not None
            return principal_for(user)

    def page(self, role: str, path: str) -> httpx.Response:
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.email == self.emails[role]))
            assert user is not None
            cookie, _ = start_session(session, user=user, hours=1)
        self.client.cookies.clear()
        self.client.cookies.set(SESSION_COOKIE, cookie)
        response = self.client.get(path, headers={"accept": "text/html"})
        self.client.cookies.clear()
        self.responses.append(response)
        return response


def make_people(
    db: Database, *, passwords: bool = False
) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """The cast, with API tokens; passwords (slow to hash, on purpose) only when asked."""
    org_ids: dict[str, int] = {}
    tokens: dict[str, str] = {}
    emails: dict[str, str] = {}
    with db.session() as session:
        for slug, (name, kind) in ORGS.items():
            org_ids[slug] = create_organisation(
                session, slug=slug, name=name, kind=kind, actor="test"
            ).id
        for role, (email, org, user_role) in PEOPLE.items():
            user = create_user(
                session,
                email=email,
                org_slug=org,
                role=user_role,
                actor="test",
                password=PASSWORD if passwords else None,
            )
            _, tokens[role] = create_token(session, user=user, name="tests", actor="test")
            emails[role] = email
    return org_ids, tokens, emails


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    db = Database(db_url)
    org_ids, tokens, emails = make_people(db)
    clock = ManualClock(START)
    app = create_app(Settings(database_url=db_url, secret_key="t"), db, clock)
    app.state.attachments_root = tmp_path / "blobs"
    with TestClient(app, raise_server_exceptions=True) as client:
        yield Site(client, clock, db, db_url, tmp_path / "blobs", tokens, emails, org_ids)
    db.dispose()
