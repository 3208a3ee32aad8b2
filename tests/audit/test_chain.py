"""The audit chain links every event to the one before, and verify finds the first break."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from clearinghouse.audit import append, verify
from clearinghouse.audit.models import AuditEvent
from clearinghouse.storage import Database


def _append_three(db: Database) -> None:
    for n in range(3):
        with db.session() as session:
            append(
                session,
                actor="user:alice@example.org",
                action="org.create",
                subject_type="organisation",
                subject_id=f"org-{n}",
                after={"slug": f"org-{n}"},
            )


def test_an_untouched_chain_verifies(db: Database) -> None:
    _append_three(db)
    with db.read_session() as session:
        report = verify(session)
    assert report.ok
    assert report.events_checked == 3


def test_editing_one_event_breaks_the_chain_at_that_event(db: Database) -> None:
    _append_three(db)
    with db.session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(actor="mallory"))
    with db.read_session() as session:
        report = verify(session)
    assert not report.ok
    assert report.first_broken_seq == 2
    assert report.events_checked == 1


def test_deleting_an_event_is_detected(db: Database) -> None:
    _append_three(db)
    with db.session() as session:
        session.query(AuditEvent).filter(AuditEvent.seq == 2).delete()
    with db.read_session() as session:
        report = verify(session)
    assert not report.ok
    assert report.first_broken_seq == 2


def test_a_rolled_back_change_leaves_no_event(db: Database) -> None:
    _append_three(db)
    try:
        with db.session() as session:
            append(session, actor="a", action="x", subject_type="t", subject_id="1")
            raise RuntimeError("the change failed after its audit event")
    except RuntimeError:
        pass
    with db.read_session() as session:
        report = verify(session)
    assert report.ok and report.events_checked == 3


def test_audit_verify_command_names_the_edited_event(
    db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from clearinghouse.cli import app
    from clearinghouse.settings import get_settings

    _append_three(db)
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    intact = runner.invoke(app, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "3 events verified" in intact.output

    with db.session() as session:
        session.execute(
            update(AuditEvent).where(AuditEvent.seq == 3).values(details='{"forged": true}')
        )
    broken = runner.invoke(app, ["audit", "verify"])
    get_settings.cache_clear()
    assert broken.exit_code == 1
    assert "broken at event 3" in broken.output
