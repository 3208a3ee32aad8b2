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

    # Notifications (webhooks and e-mail): docs/notifications.md.
    webhook_max_attempts: int = Field(
        default=8,
        ge=1,
        le=50,
        description="Attempts per delivery (webhook or e-mail) before it is dead-lettered",
    )
    webhook_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Time limit of one webhook POST"
    )
    webhook_backoff_seconds: float = Field(
        default=30.0, ge=0, description="Delay before the first retry; doubles with each retry"
    )
    webhook_backoff_max_seconds: float = Field(
        default=6 * 3600.0, ge=0, description="The longest delay between two attempts"
    )
    webhook_allow_http: bool = Field(
        default=False,
        description="Accept http:// webhook URLs to hosts other than loopback (https otherwise)",
    )
    notification_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="How long a worker holds a delivery it claimed; an expired claim (a worker "
        "that died) is taken over by the sweeper",
    )
    notification_sweep_grace_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How overdue a pending delivery must be before the sweeper queues it again",
    )
    smtp_host: str = Field(default="", description="SMTP server for e-mail notifications")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="SMTP port")
    smtp_from: str = Field(
        default="clearinghouse@localhost", description="From address of notification e-mail"
    )
    smtp_starttls: bool = Field(default=False, description="Upgrade SMTP with STARTTLS")
    smtp_username: str = Field(default="", description="SMTP login (empty: no login)")
    smtp_password: str = Field(default="", description="SMTP password")
    smtp_timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, description="Time limit of one SMTP conversation"
    )

    # CSAF 2.0 trusted provider and its OpenPGP key: docs/csaf-provider.md.
    public_base_url: str = Field(
        default="",
        description="The URL this instance is reached at (https://csaf.example.org), used in "
        "provider-metadata.json and ROLIE feeds; empty: taken from each request",
    )
    csaf_publisher_name: str = Field(
        default="Clearinghouse", description="CSAF /document/publisher/name of this instance"
    )
    csaf_publisher_namespace: str = Field(
        default="https://clearinghouse.example.org",
        description="CSAF /document/publisher/namespace: a URL of the publisher's own",
    )
    csaf_publisher_category: str = Field(
        default="coordinator",
        description="CSAF /document/publisher/category (coordinator, discoverer, other, "
        "translator, user, vendor)",
    )
    csaf_openpgp_uid: str = Field(
        default="Clearinghouse CSAF <csaf@clearinghouse.example.org>",
        description="User id of the instance's OpenPGP signing key, made on first use",
    )

    # TAXII 2.1 server: docs/taxii.md.
    taxii_page_size: int = Field(
        default=100, ge=1, le=1000, description="Objects per TAXII page when no limit is asked"
    )
    taxii_max_page_size: int = Field(
        default=1000, ge=1, le=10000, description="The most objects one TAXII page holds"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
