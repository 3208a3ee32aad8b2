"""`clearinghouse advisory ...` end to end through the root app, on a real store."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest
from typer.testing import CliRunner

from clearinghouse.advisories.errors import StatusConflict, UnknownAdvisory
from clearinghouse.cli import app
from clearinghouse.errors import Forbidden
from clearinghouse.formats.csaf import validate_csaf
from clearinghouse.settings import get_settings

from .conftest import PEOPLE, World


@pytest.fixture
def run(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", world.settings.database_url)
    monkeypatch.setenv("CLEARINGHOUSE_ENCRYPTION_KEY", world.settings.encryption_key)
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


def test_draft_publish_and_print_from_the_shell(run: CliRunner, world: World) -> None:
    drafted = orjson.loads(ok(run, "advisory", "draft", "--from", "cve-2016-10745", "--json"))
    assert drafted[0]["status"] == "draft" and drafted[0]["versions"] == []
    advisory_id = str(drafted[0]["id"])
    vendor = ("--as", PEOPLE["vendor"][0])
    assert isinstance(refused(run, "advisory", "show", advisory_id, *vendor), UnknownAdvisory)
    out = ok(run, "advisory", "publish", advisory_id, "--status", "interim")
    assert "version 1 (interim) published" in out
    assert isinstance(refused(run, "advisory", "publish", advisory_id, *vendor), Forbidden)
    ok(run, "advisory", "publish", advisory_id, "--status", "final", "--summary", "Final")
    assert isinstance(
        refused(run, "advisory", "publish", advisory_id, "--status", "interim"), StatusConflict
    )
    document = orjson.loads(ok(run, "advisory", "csaf", advisory_id, *vendor))
    assert validate_csaf(document).valid
    assert document["document"]["tracking"]["version"] == "2"
    first = orjson.loads(ok(run, "advisory", "csaf", advisory_id, "--version", "1"))
    assert first["document"]["tracking"]["status"] == "interim"
    assert advisory_id in ok(run, "advisory", "list")
    assert "version 2 final" in ok(run, "advisory", "show", advisory_id)
