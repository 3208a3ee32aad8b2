"""One `Settings` object, read from the environment (CLEARINGHOUSE_*) once and passed in."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLEARINGHOUSE_", env_file=None, extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'clearinghouse.db'}",
        description="SQLAlchemy URL; SQLite (WAL) by default, postgresql+psycopg:// in production",
    )
    secret_key: str = Field(
        default="",
        description="Signs session cookies; generated per process when empty (sessions then "
        "do not survive a restart)",
    )
    encryption_key: str = Field(
        default="",
        description="Fernet key (urlsafe base64, 32 bytes) that encrypts model credentials at "
        "rest; required with PostgreSQL, kept in a 0600 key file beside the SQLite database "
        "when empty",
    )
    queue_url: str = Field(
        default="",
        description="Task queue: redis://host:6379/0 in production; empty keeps a SQLite "
        "queue file beside the working directory's database (embedded mode)",
    )
    session_hours: int = 12
    cookie_secure: bool = False

    # Intake limits: every input is untrusted.
    max_record_bytes: int = 5 * 1024 * 1024
    max_archive_member_bytes: int = 50 * 1024 * 1024
    max_archive_total_bytes: int = 4 * 1024 * 1024 * 1024
    max_archive_ratio: int = 200
    max_request_bytes: int = 10 * 1024 * 1024
    ingest_batch_size: int = 1000


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
