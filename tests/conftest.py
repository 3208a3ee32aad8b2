"""Fixtures that build real things: a migrated SQLite file, a PostgreSQL database, the data.

Every test that takes `db` runs twice, on SQLite and on PostgreSQL. PostgreSQL is the one
on 127.0.0.1:5432 (or CLEARINGHOUSE_TEST_POSTGRES_URL); where none answers, those runs
are skipped with a message that says so, and the SQLite runs still go.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from clearinghouse.storage import Database, upgrade
from clearinghouse.storage.models import Base

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CLEARINGHOUSE_SHARED_DATA", REPO.parent / "shared" / "data"))
POSTGRES_ADMIN_URL = os.environ.get(
    "CLEARINGHOUSE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"the shared data folder is missing: {SHARED_DATA}")
    return SHARED_DATA


def _postgres_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means "no PostgreSQL here"
        return f"PostgreSQL not reachable at {POSTGRES_ADMIN_URL}: {exc.__class__.__name__}"
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped at the end."""
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    name = f"clearinghouse_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    database = Database(url)
    upgrade(database)
    database.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset_postgres(database: Database) -> None:
    # The rows the first migration seeds (chain head, id blocks) are reset, not removed.
    seeded = {"audit_chain_head", "id_blocks"}
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in seeded)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE audit_chain_head SET seq = 0, hash = :h"), {"h": "0" * 64})
        conn.execute(text("UPDATE id_blocks SET next_id = 1"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'clearinghouse.db'}"
        database = Database(url)
        upgrade(database)
        database.dispose()
        yield url
        return
    url = request.getfixturevalue("postgres_url")
    database = Database(url)
    _reset_postgres(database)
    database.dispose()
    yield url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """Only SQLite, for tests about the embedded mode itself (WAL, files, crashes)."""
    database = Database(f"sqlite:///{tmp_path / 'clearinghouse.db'}")
    upgrade(database)
    yield database
    database.dispose()
