"""`clearinghouse stix export` and the store's STIX export, on real records, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import stix2
from sqlalchemy import update
from typer.testing import CliRunner

from clearinghouse.cli import app
from clearinghouse.errors import NotFound
from clearinghouse.identity import ANONYMOUS, local_operator
from clearinghouse.intake import ingest_paths
from clearinghouse.settings import Settings, get_settings
from clearinghouse.sharing.stix_export import export_bundle
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import Vulnerability


@pytest.fixture
def loaded(db: Database, db_url: str, shared_data: Path) -> Database:
    paths = [
        shared_data / "osv" / "pypi" / "salt",
        shared_data / "kev" / "known_exploited_vulnerabilities.json",
    ]
    summary = ingest_paths(
        db, paths, actor="test", workers=1, settings=Settings(database_url=db_url)
    )
    assert not summary.rejections
    return db


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_export_by_alias_carries_the_kev_facts(loaded: Database) -> None:
    with loaded.read_session() as session:
        bundle = export_bundle(session, ANONYMOUS, ["cve-2020-11651"])
    parsed = stix2.parse(bundle.serialize(), allow_custom=True)
    (vulnerability,) = [o for o in parsed.objects if o.type == "vulnerability"]
    assert vulnerability.name == "PYSEC-2020-102"
    assert vulnerability.x_cisa_kev[0]["cve_id"] == "CVE-2020-11651"
    kinds = {o.type for o in parsed.objects}
    assert kinds == {
        "marking-definition",
        "vulnerability",
        "software",
        "course-of-action",
        "relationship",
    }


def test_what_a_reader_may_not_read_is_not_found(loaded: Database) -> None:
    with loaded.session() as session:
        session.execute(
            update(Vulnerability)
            .where(Vulnerability.osv_id == "PYSEC-2020-102")
            .values(tlp="GREEN")
        )
    with loaded.read_session() as session:
        with pytest.raises(NotFound, match="CVE-2020-11651"):
            export_bundle(session, ANONYMOUS, ["CVE-2020-11651"])
        everything = export_bundle(session, ANONYMOUS)
        names = {o["name"] for o in everything.objects if o["type"] == "vulnerability"}
        assert "PYSEC-2020-102" not in names and len(names) > 40
        operator = export_bundle(session, local_operator(), ["CVE-2020-11651"])
        assert any(o["type"] == "vulnerability" for o in operator.objects)


def test_cli_writes_a_bundle_that_parses_back(
    loaded: Database, cli_env: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "bundle.json"
    result = cli_env.invoke(app, ["stix", "export", "PYSEC-2020-102", "--out", str(out)])
    assert result.exit_code == 0, result.output
    first = out.read_text(encoding="utf-8")
    parsed = stix2.parse(first, allow_custom=True)
    assert any(o.type == "vulnerability" for o in parsed.objects)
    again = cli_env.invoke(app, ["stix", "export", "PYSEC-2020-102"])
    assert again.exit_code == 0
    assert again.stdout == first  # re-exports are identical, ids included
    missing = cli_env.invoke(app, ["stix", "export", "NOPE-0000"])
    assert missing.exit_code != 0
