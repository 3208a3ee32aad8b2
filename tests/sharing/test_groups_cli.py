"""`clearinghouse sharing group-*` and `vuln label`, end to end through the root app."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import orjson
import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from clearinghouse.cli import app
from clearinghouse.formats.osv import validate_osv
from clearinghouse.intake.parse import record_from_osv
from clearinghouse.intake.upsert import write_records
from clearinghouse.reports.models import DiscoveredBy, Report
from clearinghouse.reports.service import create_report
from clearinghouse.settings import get_settings
from clearinghouse.sharing.errors import DuplicateMember, InvalidLabel, UserNotInOrganisation
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import Vulnerability


@pytest.fixture
def run(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def invoke(runner: CliRunner, *args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def _setup(runner: CliRunner) -> None:
    invoke(runner, "org", "add", "gridco", "--name", "Grid Co", "--kind", "critical_infrastructure")
    invoke(runner, "org", "add", "acme", "--name", "ACME", "--kind", "vendor")
    invoke(runner, "user", "add", "soc@gridco.example", "--org", "gridco", "--role", "partner")
    invoke(runner, "user", "add", "psirt@acme.example", "--org", "acme", "--role", "vendor")


def test_group_commands(run: CliRunner, db: Database) -> None:
    _setup(run)
    invoke(run, "sharing", "group-create", "energy-isac", "--name", "Energy ISAC")
    invoke(run, "sharing", "group-add", "energy-isac", "--org", "gridco")
    invoke(
        run,
        "sharing",
        "group-add",
        "energy-isac",
        "--org",
        "gridco",
        "--user",
        "soc@gridco.example",
    )
    listed = orjson.loads(invoke(run, "sharing", "group-list", "--json").output)
    assert [(m["organisation"], m["user"]) for m in listed[0]["members"]] == [
        ("gridco", None),
        ("gridco", "soc@gridco.example"),
    ]
    # A named person must belong to the organisation named with them; no member twice.
    wrong = run.invoke(
        app,
        ["sharing", "group-add", "energy-isac", "--org", "gridco", "--user", "psirt@acme.example"],
    )
    assert isinstance(wrong.exception, UserNotInOrganisation)
    twice = run.invoke(app, ["sharing", "group-add", "energy-isac", "--org", "gridco"])
    assert isinstance(twice.exception, DuplicateMember)
    # Members read the group from the shell as themselves.
    mine = invoke(run, "sharing", "group-list", "--json", "--as", "soc@gridco.example").output
    assert [g["slug"] for g in orjson.loads(mine)] == ["energy-isac"]
    theirs = invoke(run, "sharing", "group-list", "--json", "--as", "psirt@acme.example").output
    assert orjson.loads(theirs) == []

    invoke(run, "sharing", "group-remove", "energy-isac", "--org", "gridco")
    listed = orjson.loads(invoke(run, "sharing", "group-list", "--json").output)
    assert [m["user"] for m in listed[0]["members"]] == ["soc@gridco.example"]


def test_vuln_label_command(run: CliRunner, db: Database) -> None:
    _setup(run)
    invoke(run, "sharing", "group-create", "energy-isac", "--name", "Energy ISAC")
    document = {"id": "OSV-2099-CLI1", "modified": "2026-01-01T00:00:00Z", "summary": "x"}
    with db.session() as session:
        write_records(
            session,
            [record_from_osv(validate_osv(document), source="t", source_file="t")],
            actor="t",
        )
    out = invoke(
        run,
        "vuln",
        "label",
        "OSV-2099-CLI1",
        "--tlp",
        "amber",
        "--group",
        "energy-isac",
        "--owner",
        "acme",
        "--embargo-until",
        "2099-01-01T00:00:00Z",
    ).output
    assert "TLP:AMBER, sharing group energy-isac" in out
    with db.read_session() as session:
        row = session.scalar(select(Vulnerability).where(Vulnerability.osv_id == "OSV-2099-CLI1"))
        assert row is not None
        assert (row.tlp, row.sharing_group_id is not None, row.embargo_ends_at is not None) == (
            "AMBER",
            True,
            True,
        )
    naive = run.invoke(
        app, ["vuln", "label", "OSV-2099-CLI1", "--tlp", "RED", "--embargo-until", "2099-01-01"]
    )
    assert isinstance(naive.exception, InvalidLabel) and "time zone" in str(naive.exception)
    # Only the operator labels records: a vendor acting as itself is refused.
    refused = run.invoke(
        app,
        [
            "sharing",
            "label",
            "vuln",
            "OSV-2099-CLI1",
            "--tlp",
            "CLEAR",
            "--as",
            "psirt@acme.example",
        ],
    )
    assert refused.exit_code != 0 and "operators" in str(refused.exception)


def test_label_command_for_reports_and_its_errors(run: CliRunner, db: Database) -> None:
    _setup(run)
    invoke(run, "sharing", "group-create", "energy-isac", "--name", "Energy ISAC")
    with db.session() as session:
        report = create_report(
            session,
            title="t",
            description="d",
            submitted_by="user:psirt@acme.example",
            discovered_by=DiscoveredBy.person,
            now=datetime.now(UTC),
        )
        report_id = report.id
    out = invoke(
        run, "sharing", "label", "report", str(report_id), "--tlp", "red", "--group", "energy-isac"
    )
    assert out.output.strip() == f"report {report_id}: TLP:RED, sharing group energy-isac"
    with db.read_session() as session:
        stored = session.get(Report, report_id)
        assert stored is not None and stored.tlp == "RED" and stored.sharing_group_id is not None
    for args, says in (
        (["finding", "3-41"], "a finding is INVENTORY/FINDING"),
        (["case", "x"], "a case is named by its number"),
        (["report", str(report_id), "--owner", "acme"], "label vulnerabilities only"),
    ):
        result = run.invoke(app, ["sharing", "label", *args, "--tlp", "AMBER"])
        assert isinstance(result.exception, InvalidLabel) and says in str(result.exception), args
