"""Migration 0005 adds to the existing `reports` table without losing a report, and goes back."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import inspect, text

from clearinghouse.storage import Database, upgrade
from clearinghouse.storage.migrate import alembic_config


def _migrate(db: Database, revision: str, *, down: bool = False) -> None:
    config = alembic_config(db)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_a_report_of_before_0005_survives_it_and_starts_its_sla_clock(db_url: str) -> None:
    db = Database(db_url)
    try:
        _migrate(db, "0004", down=True)
        stamp = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO reports (title, description, status, tlp, submitted_by, "
                    "discovered_by, created_at, updated_at) VALUES ('Old', 'From a review', "
                    "'triaged', 'AMBER', 'user:x', 'model', :at, :at)"
                ),
                {"at": stamp},
            )
        upgrade(db)
        with db.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT title, status, source_format, identifiers, affected, priority, "
                    "known_exploited, state_entered_at FROM reports"
                )
            ).one()
        assert row[:7] == ("Old", "triaged", "structured", "[]", "[]", 0, False)
        assert row.state_entered_at is not None
        tables = set(inspect(db.engine).get_table_names())
        assert {"report_links", "report_text_bands", "report_terms", "report_events"} <= tables
        _migrate(db, "0004", down=True)
        columns = {c["name"] for c in inspect(db.engine).get_columns("reports")}
        assert (
            "fingerprint" not in columns
            and "report_links" not in inspect(db.engine).get_table_names()
        )
    finally:
        upgrade(db)  # the PostgreSQL test database is shared by the session: leave it at head
        db.dispose()
