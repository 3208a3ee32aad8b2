"""A whole review's cast on the real app: people of every role, their tokens, a manual clock.

Every response the tests receive is kept in `World.responses`, so that a test can read
them all afterwards (for a secret, or for words that would imply a release needs leave).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
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

ORGS = {
    "ops": ("Clearinghouse operations", OrgKind.operator),
    "frontierlab": ("Frontier Lab", OrgKind.ai_developer),
    "cisa": ("CISA", OrgKind.agency),
    "gridco": ("Grid Co", OrgKind.critical_infrastructure),
    "waterco": ("Water Co", OrgKind.critical_infrastructure),
    "bankco": ("Bank Co", OrgKind.critical_infrastructure),
    "otherlab": ("Other Lab", OrgKind.ai_developer),
}
PEOPLE = {
    "operator": ("ops@ops.example", "ops", Role.operator),
    "developer": ("dev@frontierlab.example", "frontierlab", Role.developer),
    "reviewer": ("alice@cisa.example", "cisa", Role.reviewer),
    "reviewer2": ("bob@cisa.example", "cisa", Role.reviewer),
    "partner": ("analyst@gridco.example", "gridco", Role.partner),
    "partner2": ("analyst@waterco.example", "waterco", Role.partner),
    "outsider_partner": ("analyst@bankco.example", "bankco", Role.partner),
    "outsider_developer": ("dev@otherlab.example", "otherlab", Role.developer),
}


@dataclass
class World:
    client: TestClient
    clock: ManualClock
    db: Database
    db_url: str
    encryption_key: str
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

    def principal(self, role: str) -> Principal:
        with self.db.read_session() as session:
            user = session.scalar(select(User).where(User.email == self.emails[role]))
            assert user is not None
            return principal_for(user)

    def page(self, role: str, path: str) -> httpx.Response:
        """A page as `role` sees it: pages know people by their session cookie."""
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.email == self.emails[role]))
            assert user is not None
            cookie, _ = start_session(session, user=user, hours=1)
        self.client.cookies.clear()
        self.client.cookies.set(SESSION_COOKIE, cookie)
        response = self.client.get(path)
        self.client.cookies.clear()
        self.responses.append(response)
        return response


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
    key = Fernet.generate_key().decode()
    clock = ManualClock(START)
    settings = Settings(database_url=db_url, secret_key="t", encryption_key=key)
    app = create_app(settings, db, clock)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield World(client, clock, db, db_url, key, tokens, emails, org_ids)
    db.dispose()


@pytest.fixture
def world(db_url: str) -> Iterator[World]:
    yield from make_world(db_url)
