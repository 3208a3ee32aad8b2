"""An advisories cast on the real app: analysts, a vendor, a partner in a sharing group.

The store holds real records (Jinja2's and PySpark's PyPI advisories, the KEV catalog) from
`../shared/data`; the app signs with the real instance key (GnuPG) under a test Fernet key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from starlette.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.clock import ManualClock
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.identity.tokens import create_token
from clearinghouse.intake.pipeline import ingest_paths
from clearinghouse.settings import Settings
from clearinghouse.sharing.models import SharingGroup, SharingGroupMember
from clearinghouse.storage import Database

START = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
ORGS = {
    "ops": ("Clearinghouse operations", OrgKind.operator),
    "cisa": ("An agency", OrgKind.agency),
    "acme": ("Acme Software", OrgKind.vendor),
    "gridco": ("Grid Co", OrgKind.critical_infrastructure),
    "bank": ("A Bank", OrgKind.critical_infrastructure),
}
PEOPLE = {
    "operator": ("coordinator@ops.example", "ops", Role.operator),
    "analyst": ("analyst@cisa.example", "cisa", Role.reviewer),
    "vendor": ("psirt@acme.example", "acme", Role.vendor),
    "partner": ("soc@gridco.example", "gridco", Role.partner),
    "outsider": ("soc@bank.example", "bank", Role.partner),
}
PARTNERS_GROUP = "energy-partners"


@dataclass
class World:
    client: TestClient
    clock: ManualClock
    db: Database
    settings: Settings
    tokens: dict[str, str]
    org_ids: dict[str, int]
    group_id: int

    def call(self, role: str | None, method: str, path: str, json: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        return self.client.request(
            method, "/api/v1/csaf/advisories" + path, json=json, headers=headers
        )

    def ok(self, role: str, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.call(role, method, path, json)
        assert response.status_code == status, (role, method, path, response.text)
        return response.json()


def sample_paths(shared_data: Path) -> list[Path]:
    return [
        shared_data / "osv" / "pypi" / "jinja2",
        shared_data / "osv" / "pypi" / "pyspark",
        shared_data / "kev" / "known_exploited_vulnerabilities.json",
    ]


def make_world(db_url: str, shared_data: Path) -> Iterator[World]:
    db = Database(db_url)
    summary = ingest_paths(db, sample_paths(shared_data), actor="test", workers=0)
    assert not summary.rejections, summary.rejections
    org_ids: dict[str, int] = {}
    tokens: dict[str, str] = {}
    with db.session() as session:
        for slug, (name, kind) in ORGS.items():
            org_ids[slug] = create_organisation(
                session, slug=slug, name=name, kind=kind, actor="test"
            ).id
        group = SharingGroup(slug=PARTNERS_GROUP, name="Energy partners", created_by="test")
        session.add(group)
        session.flush()
        session.add(
            SharingGroupMember(
                group_id=group.id, organisation_id=org_ids["gridco"], added_by="test"
            )
        )
        group_id = group.id
        for role, (email, org, user_role) in PEOPLE.items():
            user = create_user(session, email=email, org_slug=org, role=user_role, actor="test")
            _, tokens[role] = create_token(session, user=user, name="tests", actor="test")
    settings = Settings(
        database_url=db_url, secret_key="t", encryption_key=Fernet.generate_key().decode()
    )
    clock = ManualClock(START)
    app = create_app(settings, db, clock)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield World(client, clock, db, settings, tokens, org_ids, group_id)
    db.dispose()


@pytest.fixture
def world(db_url: str, shared_data: Path) -> Iterator[World]:
    yield from make_world(db_url, shared_data)
