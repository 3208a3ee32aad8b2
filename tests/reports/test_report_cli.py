"""`clearinghouse report submit | list | show | triage | evidence | merge | split`, end to end
through the root app, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from clearinghouse.cli import app
from clearinghouse.settings import get_settings
from clearinghouse.storage import Database

from .conftest import PEOPLE, make_people

GOLDEN_SARIF = (
    Path(__file__).resolve().parents[1] / "formats" / "golden" / "sarif" / "shop-backend.json"
)


@pytest.fixture
def run(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db_url)
    monkeypatch.chdir(tmp_path)  # attachments of a PostgreSQL instance land in the cwd
    get_settings.cache_clear()
    db = Database(db_url)
    make_people(db)
    db.dispose()
    yield CliRunner()
    get_settings.cache_clear()


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def test_submit_list_show_and_triage_from_the_shell(run: CliRunner, tmp_path: Path) -> None:
    report = tmp_path / "finding.json"
    report.write_bytes(
        orjson.dumps(
            {
                "title": "Use after free in the session cache",
                "description": "session_cache.c frees an entry twice when two requests race.",
                "location": "src/session_cache.c:214",
                "cvss_vector": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                "discovered_by": "model",
                "model_run": "cli-run",
            }
        )
    )
    lab = PEOPLE["lab"][0]
    made = json.loads(ok(run, "report", "submit", str(report), "--json", "--as", lab))
    (first,) = made
    assert first["status"] == "received" and first["cvss_score"] == 9.3
    again = ok(run, "report", "submit", str(report), "--as", PEOPLE["other_lab"][0])
    assert "duplicate of report" not in again  # a reporter is not told about others' reports
    sarif = json.loads(
        ok(run, "report", "submit", str(GOLDEN_SARIF), "--json", "--model-run", "scan-1")
    )
    assert len(sarif) == 7 and {r["model_run"] for r in sarif} == {"scan-1"}

    listed = ok(run, "report", "list", "--status", "all")
    assert "9 reports" in listed
    titles = [r["title"] for r in json.loads(ok(run, "report", "list", "--json"))["reports"]]
    assert "Use after free in the session cache" in titles
    assert json.loads(ok(run, "report", "list", "--json", "--as", lab))["total"] == 1
    shown = ok(run, "report", "show", str(first["id"] + 1))
    assert f"exact: report {first['id']}" in shown

    moved = ok(
        run,
        "report",
        "triage",
        "--model-run",
        "scan-1",
        "--to",
        "triaged",
        "--reason",
        "scan reviewed",
    )
    assert "7 moved to triaged" in moved
    ok(run, "report", "triage", str(first["id"]), "--to", "triaged", "--reason", "in scope")
    ok(run, "report", "triage", str(first["id"]), "--to", "validating", "--reason", "reproducing")
    ok(
        run,
        "report",
        "evidence",
        str(first["id"]),
        "--steps",
        "run the race harness",
        "--environment",
        "Debian 12",
        "--result",
        "reproduced",
    )
    ok(run, "report", "triage", str(first["id"]), "--to", "validated", "--reason", "confirmed")
    detail = json.loads(ok(run, "report", "show", str(first["id"]), "--json"))
    assert detail["status"] == "validated" and detail["evidence"][0]["result"] == "reproduced"
    ok(
        run,
        "report",
        "merge",
        str(sarif[1]["id"]),
        "--into",
        str(sarif[0]["id"]),
        "--reason",
        "same",
    )
    ok(run, "report", "split", str(sarif[1]["id"]), "--reason", "not the same")

    refused = run.invoke(
        app,
        ["report", "triage", str(first["id"]), "--to", "received", "--reason", "x", "--as", lab],
    )
    assert refused.exit_code != 0
    bad = tmp_path / "bad.json"
    bad.write_bytes(
        orjson.dumps({"title": "x", "description": "y", "cvss_vector": "CVSS:3.1/AV:N"})
    )
    failed = run.invoke(app, ["report", "submit", str(bad)])
    assert failed.exit_code != 0
