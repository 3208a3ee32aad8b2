"""`clearinghouse webhook ...` end to end through the root app, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from clearinghouse.cli import app
from clearinghouse.identity.models import Role
from clearinghouse.identity.service import create_user
from clearinghouse.settings import get_settings
from clearinghouse.storage import Database

from .conftest import Receiver, drain, fast_settings, make_org, notify


@pytest.fixture
def run(
    db: Database, db_url: str, encryption_key: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db_url)
    monkeypatch.setenv("CLEARINGHOUSE_ENCRYPTION_KEY", encryption_key)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def test_add_list_deliveries_redeliver_and_remove(
    run: CliRunner, db: Database, db_url: str, encryption_key: str, receiver: Receiver
) -> None:
    grid = make_org(db, "gridco")
    make_org(db, "waterco")
    with db.session() as session:
        create_user(
            session, email="w@waterco.example", org_slug="waterco", role=Role.partner, actor="t"
        )

    added = json.loads(ok(run, "webhook", "add", receiver.url, "--org", "gridco", "--json"))
    receiver.secret = added["secret"]
    receiver.always_fail = True
    assert added["organisation_id"] == grid
    listed = json.loads(ok(run, "webhook", "list", "--json"))
    assert [w["url"] for w in listed["webhooks"]] == [receiver.url]
    assert json.loads(ok(run, "webhook", "list", "--json", "--as", "w@waterco.example")) == {
        "webhooks": [],
        "email_recipients": [],
    }

    notify(db, [grid], 1)
    drain(db, fast_settings(db_url, encryption_key, webhook_max_attempts=2))
    (dead,) = json.loads(ok(run, "webhook", "deliveries", "--status", "dead", "--json"))
    assert [a["status_code"] for a in dead["attempt_log"]] == [500, 500]
    assert "HTTP 500" in ok(run, "webhook", "deliveries")

    assert "queued again" in ok(run, "webhook", "redeliver", dead["id"])
    again = run.invoke(app, ["webhook", "redeliver", dead["id"]])
    assert again.exit_code != 0 and "only dead letters" in str(again.exception)

    assert "removed" in ok(run, "webhook", "remove", str(added["id"]))
    assert json.loads(ok(run, "webhook", "list", "--json"))["webhooks"] == []
    refused = run.invoke(app, ["webhook", "add", "http://example.com/hook"])
    assert refused.exit_code != 0 and "loopback" in str(refused.exception)
