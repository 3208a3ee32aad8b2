"""`clearinghouse model ...` and `clearinghouse review ...` end to end through the root app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from clearinghouse.cli import app
from clearinghouse.errors import Forbidden
from clearinghouse.review.errors import ReleaseAlreadyPast
from clearinghouse.review.models import Review, ReviewStatus
from clearinghouse.settings import get_settings
from clearinghouse.storage.base import utcnow

from .conftest import World


@pytest.fixture
def run(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", world.db_url)
    monkeypatch.setenv("CLEARINGHOUSE_ENCRYPTION_KEY", world.encryption_key)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def test_a_developer_submits_from_the_shell_and_cron_closes_it(
    run: CliRunner, world: World
) -> None:
    dev = ("--as", world.emails["developer"])
    assert "model 1 registered" in ok(run, "model", "add", "Frontier-C", *dev)
    release = (utcnow() + timedelta(days=12)).isoformat()
    out = ok(run, "model", "version-add", "1", "1.0", "--release", release,
             "--access", "weights", "--weights-location", "s3://lab/w", *dev)  # fmt: skip
    assert "model version 1 registered" in out
    past = (utcnow() - timedelta(days=1)).isoformat()
    ok(run, "model", "version-add", "1", "0.9", "--release", past,
       "--access", "weights", "--weights-location", "s3://lab/w0", *dev)  # fmt: skip
    refused = run.invoke(app, ["review", "submit", "2", *dev])
    assert refused.exit_code == 1 and isinstance(refused.exception, ReleaseAlreadyPast)
    # Submitting is the developer's own choice: the operator cannot do it for them.
    as_operator = run.invoke(app, ["review", "submit", "1"])
    assert as_operator.exit_code == 1 and isinstance(as_operator.exception, Forbidden)
    out = ok(run, "review", "submit", "1", *dev)
    assert "review 1 open until" in out and "voluntary" in out.lower()
    assert "Frontier-C" in ok(run, "review", "list", *dev)
    assert (
        ok(run, "review", "list", "--as", world.emails["outsider_developer"]).count("Frontier") == 0
    )
    assert '"view": "developer"' in ok(run, "review", "show", "1", *dev)
    assert '"view": "reviewer"' in ok(run, "review", "show", "1")
    assert "Frontier-C" in ok(run, "model", "list")

    assert "0 notification(s) queued" in ok(run, "review", "tick")
    later = (utcnow() + timedelta(days=12, hours=1)).isoformat()
    assert "2 notification(s) queued" in ok(run, "review", "tick", "--at", later)
    with world.db.read_session() as session:
        review = session.scalars(select(Review)).one()
        assert review.status is ReviewStatus.closed
        assert review.close_reason is not None
        assert review.close_reason.value == "release_date_reached"
