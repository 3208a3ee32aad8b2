"""The real app on a database holding real PyPI records and the KEV catalog, and its people."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from clearinghouse.api.app import create_app
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.identity.tokens import create_token
from clearinghouse.intake import ingest_paths
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

# Packages with aliases, a KEV-listed CVE (pyspark), CVSS vectors (werkzeug), a withdrawal (loguru).
SAMPLE_PACKAGES = ("pillow", "pyspark", "jinja2", "requests", "werkzeug", "loguru")
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class People:
    operator_email: str
    operator_token: str
    partner_email: str
    partner_token: str
    partner_org_id: int


def load_sample(db: Database, shared_data: Path) -> None:
    paths = [shared_data / "osv" / "pypi" / name for name in SAMPLE_PACKAGES]
    paths.append(shared_data / "kev" / "known_exploited_vulnerabilities.json")
    summary = ingest_paths(db, paths, actor="test", workers=1)
    assert not summary.rejections, summary.rejections


def make_people(db: Database) -> People:
    with db.session() as session:
        create_organisation(
            session,
            slug="ops",
            name="Clearinghouse operations",
            kind=OrgKind.operator,
            actor="test",
        )
        partner_org = create_organisation(
            session,
            slug="gridco",
            name="Grid Co",
            kind=OrgKind.critical_infrastructure,
            actor="test",
        )
        operator = create_user(
            session,
            email="operator@ops.example",
            org_slug="ops",
            role=Role.operator,
            actor="test",
            password=PASSWORD,
        )
        partner = create_user(
            session,
            email="analyst@gridco.example",
            org_slug="gridco",
            role=Role.partner,
            actor="test",
            password=PASSWORD,
        )
        _, operator_token = create_token(session, user=operator, name="tests", actor="test")
        _, partner_token = create_token(session, user=partner, name="tests", actor="test")
        return People(
            operator_email=operator.email,
            operator_token=operator_token,
            partner_email=partner.email,
            partner_token=partner_token,
            partner_org_id=partner_org.id,
        )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def sample_db(db: Database, shared_data: Path) -> Database:
    load_sample(db, shared_data)
    return db


@pytest.fixture
def people(sample_db: Database) -> People:
    return make_people(sample_db)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(db_url: str, sample_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The real ASGI app, called in process through httpx."""
    app = create_app(Settings(database_url=db_url, secret_key="test"))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http
    app.state.db.dispose()
