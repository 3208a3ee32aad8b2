"""`clearinghouse case ...` end to end through the root app, as the operator and as vendors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import orjson
import pytest
from typer.testing import CliRunner

from clearinghouse.cli import app
from clearinghouse.disclosure.errors import EmbargoInForce, ReportNotValidated, UnknownCase
from clearinghouse.errors import Forbidden
from clearinghouse.reports.models import ReportStatus
from clearinghouse.settings import get_settings
from clearinghouse.storage.base import utcnow

from .conftest import World, validated_report
from .scenario import MARKER, PACKAGE


@pytest.fixture
def run(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", world.db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def refused(runner: CliRunner, *args: str) -> BaseException | None:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 1, (args, result.output)
    return result.exception


def test_a_case_from_the_shell(run: CliRunner, world: World) -> None:
    report = validated_report(
        world.db, title=f"Overflow in {PACKAGE}", description=f"details {MARKER}"
    )
    triaged = validated_report(world.db, title="t", description="d", status=ReportStatus.triaged)
    assert isinstance(refused(run, "case", "open", str(triaged)), ReportNotValidated)
    embargo = (utcnow() + timedelta(days=20)).isoformat()
    out = ok(run, "case", "open", str(report), "--ecosystem", "PyPI", "--package", PACKAGE,
             "--versions", "<1.4.2", "--tlp", "clear", "--embargo", embargo)  # fmt: skip
    assert out.startswith("case 1 opened") and "TLP:CLEAR" in out
    vendor = ("--as", world.emails["vendor_a"])
    outsider = ("--as", world.emails["vendor_b"])
    assert isinstance(refused(run, "case", "invite", "1", "acme", *vendor), UnknownCase)
    assert "acme invited to case 1" in ok(run, "case", "invite", "1", "acme")
    assert isinstance(refused(run, "case", "invite", "1", "initech", *vendor), Forbidden)
    assert "Case" not in ok(run, "case", "list", *outsider) and "1" in ok(
        run, "case", "list", *vendor
    )
    shown = orjson.loads(ok(run, "case", "show", "1", *vendor))
    assert shown["view"] == "vendor" and shown["status"] == "vendor_notified"
    assert isinstance(refused(run, "case", "show", "1", *outsider), UnknownCase)
    assert isinstance(refused(run, "case", "advisory", "1", *outsider), UnknownCase)

    out = ok(
        run, "case", "statement", "1", "fixed", "--versions", "1.4.2", "--text", "Upgrade", *vendor
    )
    assert "statement 1 posted to case 1: fixed" in out
    assert "message 1 posted" in ok(run, "case", "message", "1", "Thanks", *vendor)
    assert "message 2 posted" in ok(run, "case", "message", "1", "Noted", "--reply-to", "1")
    draft = ok(run, "case", "advisory", "1", "--output", "markdown", *vendor)
    assert "Draft of" in draft and MARKER in draft and "| Acme Software | Fixed | 1.4.2 |" in draft

    assert isinstance(refused(run, "case", "move", "1", "published"), EmbargoInForce)
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    assert "embargoed until" in ok(run, "case", "embargo", "1", past)  # the coordinator lifts it
    out = ok(run, "case", "move", "1", "published")
    assert "case 1 is published; advisory x_CLEARINGHOUSE-CASE-1" in out
    record = orjson.loads(ok(run, "case", "advisory", "1", "--output", "osv", *outsider))
    assert record["id"] == "x_CLEARINGHOUSE-CASE-1"
    assert record["affected"][0]["ranges"][0]["events"] == [{"introduced": "0"}, {"fixed": "1.4.2"}]
    vuln = orjson.loads(ok(run, "vuln", "show", "x_CLEARINGHOUSE-CASE-1", "--json"))
    assert vuln["id"] == "x_CLEARINGHOUSE-CASE-1"
    assert "acme removed" not in ok(run, "case", "list")
    assert "case 1 is closed" in ok(run, "case", "move", "1", "closed", "--reason", "done")
