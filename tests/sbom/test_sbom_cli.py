"""`clearinghouse sbom upload | list | show` end to end through the root app, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clearinghouse.cli import app
from clearinghouse.sbom import service
from clearinghouse.sbom.errors import UnknownInventory
from clearinghouse.settings import get_settings

from .conftest import NOW, Cast, osv, pypi, sbom, store
from .test_inventory_api import CYCLONEDX, needs_reader


@pytest.fixture
def run(cast: Cast, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    store(
        cast.db,
        osv(
            "PYSEC-2023-74",
            "requests",
            introduced="2.3.0",
            fixed="2.31.0",
            aliases=["CVE-2023-32681"],
            severity="MODERATE",
        ),
    )
    yield CliRunner()
    get_settings.cache_clear()


def ok(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def test_list_and_show_as_the_operator_and_as_members(run: CliRunner, cast: Cast) -> None:
    with cast.db.session() as session:
        inventory_id = service.upload_document(
            session,
            cast.principals["grid"],
            inventory="billing-api",
            document=sbom(pypi("requests", "2.30.0")),
            filename="bom.json",
            content=b"{}",
            now=NOW,
        ).inventory_id
    listed = ok(run, "sbom", "list")
    assert "billing-api" in listed and "gridco" in listed and "1 medium" in listed
    assert "billing-api" not in ok(run, "sbom", "list", "--as", cast.emails["water"])
    shown = ok(run, "sbom", "show", str(inventory_id), "--as", cast.emails["grid"])
    assert "CVE-2023-32681" in shown and "2.31.0" in shown and "new" in shown
    as_json = json.loads(ok(run, "sbom", "show", str(inventory_id), "--json"))
    assert as_json["findings"][0]["vulnerability"] == "CVE-2023-32681"
    assert "CVE-2023" not in ok(run, "sbom", "show", str(inventory_id), "--severity", "high")
    refused = run.invoke(app, ["sbom", "show", str(inventory_id), "--as", cast.emails["water"]])
    assert refused.exit_code == 1 and isinstance(refused.exception, UnknownInventory)


@needs_reader
def test_upload_a_file_for_an_organisation(run: CliRunner, cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "bom.cdx.json"
    path.write_bytes(CYCLONEDX)
    out = ok(run, "sbom", "upload", str(path), "--inventory", "billing-api", "--org", "gridco")
    assert "1 of 2 components matched" in out and "1 opened" in out
    assert "skipped in-house-lib" in out
    result = json.loads(
        ok(
            run,
            "sbom",
            "upload",
            str(path),
            "--inventory",
            "billing-api",
            "--json",
            "--as",
            cast.emails["grid"],
        )
    )
    assert result["findings"]["persisting"] == 1 and result["upload_id"] == 2
