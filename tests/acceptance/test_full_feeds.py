"""Issue 2, acceptance 2 and 3 on all of ../shared/data: every valid record ingested and
none rejected, a second run all unchanged, and every alias of every record resolving to
its group through the CLI and the REST API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import typer.testing
from sqlalchemy import select
from typer.testing import CliRunner

from clearinghouse.audit import verify
from clearinghouse.cli import app as cli_app
from clearinghouse.intake import ingest_paths
from clearinghouse.settings import Settings, get_settings
from clearinghouse.storage import Database, open_database
from clearinghouse.vulnerabilities.models import KevEntry, Vulnerability

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def full_store(
    tmp_path_factory: pytest.TempPathFactory, shared_data: Path
) -> Iterator[tuple[Database, Settings, dict]]:
    """One SQLite store with every feed in shared/data, ingested twice."""
    url = f"sqlite:///{tmp_path_factory.mktemp('full') / 'clearinghouse.db'}"
    settings = Settings(database_url=url, secret_key="test")
    db = open_database(url)
    paths = [shared_data / "osv", shared_data / "rustsec", shared_data / "kev"]
    first = ingest_paths(db, paths, settings=settings)
    second = ingest_paths(db, paths, settings=settings)
    yield db, settings, {"first": first, "second": second, "shared": shared_data}
    db.dispose()


def _expected_ids(shared: Path) -> set[str]:
    ids = {p.stem for p in (shared / "osv" / "pypi").rglob("*.yaml")}
    ids |= {p.stem for p in (shared / "osv" / "go").glob("*.json")}
    ids |= {p.stem for p in (shared / "rustsec").rglob("*.md")}
    return ids


def test_every_valid_record_is_ingested_and_none_rejected(full_store) -> None:
    db, _, runs = full_store
    first = runs["first"]
    assert first.counts["rejected"] == 0, first.rejections[:10]
    expected = _expected_ids(runs["shared"])
    assert len(expected) > 7700  # ~6,528 OSV + ~1,225 RustSec
    with db.read_session() as session:
        stored = set(session.scalars(select(Vulnerability.osv_id)))
        kev = session.scalar(select(KevEntry).limit(1))
    assert stored == expected
    assert first.counts["added"] + first.counts["withdrawn"] == len(expected)
    assert first.kev["added"] == 1404 and kev is not None


def test_a_second_run_reports_everything_unchanged(full_store) -> None:
    _, _, runs = full_store
    second = runs["second"]
    assert second.counts["unchanged"] == len(_expected_ids(runs["shared"]))
    assert second.kev["unchanged"] == 1404
    for status in ("added", "updated", "withdrawn", "rejected", "stale"):
        assert second.counts[status] == 0, status


def _aliases(db: Database) -> dict[str, set[str]]:
    """Every record id and alias -> the ids of records that name it."""
    named: dict[str, set[str]] = {}
    with db.read_session() as session:
        for osv_id, document in session.execute(
            select(Vulnerability.osv_id, Vulnerability.document)
        ):
            for identifier in (osv_id, *(orjson.loads(document).get("aliases") or ())):
                named.setdefault(identifier, set()).add(osv_id)
    return named


def test_every_alias_resolves_to_its_group_through_the_cli(full_store, monkeypatch) -> None:
    db, settings, _ = full_store
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    # The real command tree, built once as a `clearinghouse` process builds it: typer's
    # runner would rebuild every command's parameters from type hints on each call (80 ms).
    command = typer.main.get_command(cli_app)
    monkeypatch.setattr(typer.testing, "_get_command", lambda _app: command)
    runner = CliRunner()
    failures = []
    for identifier, record_ids in _aliases(db).items():
        result = runner.invoke(cli_app, ["vuln", "show", identifier, "--json", "--all"])
        if result.exit_code != 0:
            failures.append((identifier, result.output[-200:]))
            continue
        shown = {document["id"] for document in orjson.loads(result.stdout)}
        if not record_ids <= shown:
            failures.append((identifier, sorted(record_ids - shown)))
    get_settings.cache_clear()
    assert not failures, failures[:10]


def test_every_alias_resolves_to_its_group_through_the_api(full_store) -> None:
    from fastapi.testclient import TestClient

    from clearinghouse.api.app import create_app

    db, settings, _ = full_store
    failures = []
    with TestClient(create_app(settings, db)) as client:
        for identifier, record_ids in _aliases(db).items():
            response = client.get(f"/api/v1/vulns/{identifier}")
            if response.status_code != 200:
                failures.append((identifier, response.status_code))
                continue
            body = response.json()
            shown = {record["id"] for record in body["records"]}
            if not record_ids <= shown or identifier not in body["aliases"]:
                failures.append((identifier, sorted(record_ids - shown)))
    assert not failures, failures[:10]


def test_the_audit_chain_verifies_after_the_ingests(full_store) -> None:
    db, _, _ = full_store
    with db.read_session() as session:
        report = verify(session)
    assert report.ok and report.events_checked > 0
