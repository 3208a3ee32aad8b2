"""Engines and sessions: SQLite in WAL mode by default, PostgreSQL in production."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Let people write postgresql:// and still get psycopg 3, the driver we ship."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (the web pages) run while an ingest writes; NORMAL sync is
    # durable across process crashes in WAL mode, which is what the SIGKILL test checks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()
    # pysqlite would defer BEGIN until the first write; we issue BEGIN ourselves.
    dbapi_connection.isolation_level = None


def _sqlite_engine(url: str, begin: str, **kwargs: Any) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
    return engine


class Database:
    """The two ways in: `session()` for work that writes, `read_session()` for reads.

    On SQLite a writing transaction starts with BEGIN IMMEDIATE, so two writers queue
    on the lock instead of one failing with SQLITE_BUSY half way (the audit chain
    reads its head and then appends, which must not interleave). Readers use a plain
    deferred BEGIN and, in WAL mode, never wait for a writer. PostgreSQL needs neither
    trick: one engine serves both, and the audit chain takes a row lock.
    """

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        # Bound values (model credentials' ciphertext, token hashes) never reach a log
        # or an error message, even with SQL echo turned on.
        engine_kwargs.setdefault("hide_parameters", True)
        self.url = normalise_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        if self.dialect == "sqlite":
            self.engine = _sqlite_engine(self.url, "BEGIN IMMEDIATE", **engine_kwargs)
            self.read_engine = _sqlite_engine(self.url, "BEGIN", **engine_kwargs)
        else:
            engine_kwargs.setdefault("pool_pre_ping", True)
            self.engine = create_engine(self.url, **engine_kwargs)
            self.read_engine = self.engine
        self._writer = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that commits when the block ends and rolls back on any error."""
        with self._writer() as session, session.begin():
            yield session

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """A single writing engine, for tools (Alembic) that want a plain Engine."""
    return Database(url, **kwargs).engine
