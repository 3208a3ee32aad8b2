"""OSV exports: what anyone may read, one zip per ecosystem, and they ingest back unchanged."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from clearinghouse.api.app import create_app
from clearinghouse.cli import app as cli
from clearinghouse.intake import ingest_paths
from clearinghouse.settings import Settings, get_settings
from clearinghouse.storage import Database, upgrade
from clearinghouse.storage.base import utcnow
from clearinghouse.vulnerabilities.models import AffectedPackage, Vulnerability

PYPI_PACKAGES = ("pillow", "jinja2", "requests", "loguru", "werkzeug")
GO_FILES = 60
DEBIAN_RECORD = {
    "schema_version": "1.6.0",
    "id": "DEBIAN-CVE-2099-0001",
    "modified": "2026-01-02T03:04:05Z",
    "published": "2026-01-01T00:00:00Z",
    "summary": "a made-up record of a Debian release, to test the base-ecosystem export",
    "affected": [
        {
            "package": {"ecosystem": "Debian:12", "name": "openssl"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.9"}]}],
        }
    ],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def store(db: Database, shared_data: Path, tmp_path: Path) -> Database:
    """Part of the real OSV data, one Debian record, and one AMBER and one embargoed record."""
    paths = [shared_data / "osv" / "pypi" / name for name in PYPI_PACKAGES]
    paths += sorted((shared_data / "osv" / "go").glob("GO-*.json"))[:GO_FILES]
    debian = tmp_path / "DEBIAN-CVE-2099-0001.json"
    debian.write_text(json.dumps(DEBIAN_RECORD))
    paths.append(debian)
    summary = ingest_paths(db, paths, actor="test", workers=0)
    assert not summary.rejections, summary.rejections[:3]
    with db.session() as session:
        first, second = session.execute(
            select(Vulnerability.osv_id).where(Vulnerability.osv_id.like("PYSEC-%")).limit(2)
        ).scalars()
        session.execute(
            update(Vulnerability).where(Vulnerability.osv_id == first).values(tlp="AMBER")
        )
        session.execute(
            update(Vulnerability)
            .where(Vulnerability.osv_id == second)
            .values(embargo_ends_at=utcnow() + timedelta(days=3))
        )
    return db


def public_ids(db: Database, ecosystem: str) -> dict[str, str]:
    """osv_id -> content hash of the records the export must hold, asked plainly of the DB."""
    with db.read_session() as session:
        rows = session.execute(
            select(Vulnerability.osv_id, Vulnerability.content_hash, AffectedPackage.ecosystem)
            .join(AffectedPackage, AffectedPackage.vulnerability_id == Vulnerability.id)
            .where(Vulnerability.tlp == "CLEAR", Vulnerability.embargo_ends_at.is_(None))
        ).all()
    return {
        osv_id: digest
        for osv_id, digest, eco in rows
        if eco == ecosystem or eco.split(":", 1)[0] == ecosystem
    }


@pytest.fixture
async def http(db_url: str, store: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=db_url, secret_key="test"), db=store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.mark.anyio
async def test_each_zip_holds_exactly_the_public_records_of_its_ecosystem(
    http: httpx.AsyncClient, store: Database
) -> None:
    listing = await http.get("/osv-export/ecosystems.txt")
    assert listing.status_code == 200
    assert listing.text.splitlines() == ["Debian", "Debian:12", "Go", "PyPI"]

    for ecosystem in listing.text.splitlines():
        response = await http.get(f"/osv-export/{ecosystem}/all.zip")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            assert archive.testzip() is None
            names = archive.namelist()
            documents = {n: archive.read(n) for n in names}
        expected = public_ids(store, ecosystem)
        assert sorted(names) == sorted(f"{i}.json" for i in expected)
        with store.read_session() as session:
            stored = dict(
                session.execute(
                    select(Vulnerability.osv_id, Vulnerability.document).where(
                        Vulnerability.osv_id.in_(list(expected))
                    )
                ).all()
            )
        for name, body in documents.items():
            assert body.decode() == stored[name.removesuffix(".json")]

    pypi = public_ids(store, "PyPI")
    with store.read_session() as session:
        hidden = (
            session.execute(
                select(Vulnerability.osv_id).where(
                    (Vulnerability.tlp != "CLEAR") | Vulnerability.embargo_ends_at.is_not(None)
                )
            )
            .scalars()
            .all()
        )
        withdrawn = (
            session.execute(
                select(Vulnerability.osv_id).where(Vulnerability.withdrawn.is_not(None))
            )
            .scalars()
            .all()
        )
    assert len(hidden) == 2 and not set(hidden) & set(pypi)
    assert withdrawn and set(withdrawn) <= set(pypi) | set(public_ids(store, "Go"))


@pytest.mark.anyio
async def test_unknown_or_unsafe_ecosystems_are_404(http: httpx.AsyncClient) -> None:
    for name in ("npm", "..", "Py%2FPI", "%2E%2E", "x" * 80):
        response = await http.get(f"/osv-export/{name}/all.zip")
        assert response.status_code == 404, name


@pytest.fixture
def cli_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_exported_zips_ingest_into_a_fresh_store_with_the_same_ids_and_hashes(
    store: Database, cli_env: CliRunner, tmp_path: Path
) -> None:
    out = tmp_path / "export"
    result = cli_env.invoke(cli, ["export", "osv", "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert (out / "ecosystems.txt").read_text().splitlines() == [
        "Debian",
        "Debian:12",
        "Go",
        "PyPI",
    ]

    fresh = Database(f"sqlite:///{tmp_path / 'fresh.db'}")
    upgrade(fresh)
    try:
        zips = [out / "Go" / "all.zip", out / "PyPI" / "all.zip", out / "Debian" / "all.zip"]
        summary = ingest_paths(fresh, zips, actor="test", workers=0)
        assert not summary.rejections, summary.rejections[:3]
        with fresh.read_session() as session:
            again = dict(
                session.execute(select(Vulnerability.osv_id, Vulnerability.content_hash)).all()
            )
    finally:
        fresh.dispose()
    exported = public_ids(store, "Go") | public_ids(store, "PyPI") | public_ids(store, "Debian")
    assert again == exported
