"""Malformed and hostile input gets a clear error and writes nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import orjson
import pytest
from sqlalchemy import func, select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.intake import ingest_paths
from clearinghouse.intake.errors import InputNotFound
from clearinghouse.settings import Settings
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import AliasLink, Vulnerability


@pytest.fixture
def real_record(shared_data: Path) -> dict:
    return orjson.loads(sorted((shared_data / "osv" / "go").glob("*.json"))[0].read_bytes())


def _nothing_written(db: Database) -> None:
    with db.read_session() as session:
        for model in (Vulnerability, AliasLink, AuditEvent):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model


def _only_rejection(summary) -> str:
    assert summary.counts["rejected"] == 1, summary.as_dict()
    assert summary.counts["added"] == 0
    return summary.rejections[0].reason


def test_truncated_json(
    db: Database, settings: Settings, tmp_path: Path, real_record: dict
) -> None:
    path = tmp_path / "GO-2024-0001.json"
    path.write_bytes(orjson.dumps(real_record)[:-40])
    reason = _only_rejection(ingest_paths(db, [path], settings=settings, workers=0))
    assert "JSON" in reason or "json" in reason
    _nothing_written(db)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("aliases", 5, "$.aliases"),
        ("modified", 17, "$.modified"),
        ("affected", {"a": 1}, "$.affected"),
    ],
)
def test_wrong_types_name_the_json_path(
    db: Database,
    settings: Settings,
    tmp_path: Path,
    real_record: dict,
    field: str,
    value: object,
    path: str,
) -> None:
    real_record[field] = value
    file = tmp_path / "record.json"
    file.write_bytes(orjson.dumps(real_record))
    reason = _only_rejection(ingest_paths(db, [file], settings=settings, workers=0))
    assert path in reason
    _nothing_written(db)


def test_a_100_mb_single_record_is_refused_unread(
    db: Database, settings: Settings, tmp_path: Path, real_record: dict
) -> None:
    real_record["details"] = "A" * (100 * 1024 * 1024)
    path = tmp_path / "huge.json"
    path.write_bytes(orjson.dumps(real_record))
    assert path.stat().st_size > 100 * 1024 * 1024
    reason = _only_rejection(ingest_paths(db, [path], settings=settings, workers=0))
    assert "limit" in reason
    _nothing_written(db)


def test_a_zip_bomb_is_refused_without_inflating_it(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.zip"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("GO-2024-9999.json", "w", force_zip64=True) as member,
    ):
        chunk = b"\0" * (1024 * 1024)
        for _ in range(200):  # 200 MiB of zeros, a few hundred KiB compressed
            member.write(chunk)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    reason = _only_rejection(ingest_paths(db, [bomb], settings=settings, workers=0))
    assert "zip bomb" in reason or "limit" in reason
    _nothing_written(db)


def test_a_zip_member_that_lies_about_its_size_is_refused(
    db: Database, settings: Settings, tmp_path: Path, real_record: dict
) -> None:
    archive_path = tmp_path / "liar.zip"
    payload = orjson.dumps(real_record)
    with zipfile.ZipFile(archive_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("GO-2024-0001.json", payload)
    data = bytearray(archive_path.read_bytes())
    # Rewrite the declared uncompressed size (local header and central directory) to 100.
    true_size = len(payload).to_bytes(4, "little")
    count = 0
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        assert data[at + offset : at + offset + 4] == true_size
        data[at + offset : at + offset + 4] = (100).to_bytes(4, "little")
        count += 1
    assert count == 2
    archive_path.write_bytes(bytes(data))
    reason = _only_rejection(ingest_paths(db, [archive_path], settings=settings, workers=0))
    assert reason
    _nothing_written(db)


def test_a_path_traversal_name_inside_a_zip_is_refused_and_the_rest_read(
    db: Database, settings: Settings, tmp_path: Path, real_record: dict
) -> None:
    archive_path = tmp_path / "traversal.zip"
    with zipfile.ZipFile(archive_path, "w") as archive:
        archive.writestr("../../etc/evil.json", orjson.dumps(real_record))
        archive.writestr("/abs/evil2.json", orjson.dumps(real_record))
        second = dict(real_record, id="GO-2099-0002")
        archive.writestr("ok/GO-2099-0002.json", orjson.dumps(second))
    summary = ingest_paths(db, [archive_path], settings=settings, workers=0)
    assert summary.counts["rejected"] == 2
    assert summary.counts["added"] == 1
    assert all("path" in r.reason for r in summary.rejections)
    assert not (tmp_path.parent.parent / "etc" / "evil.json").exists()


def test_not_a_zip_despite_its_name(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = tmp_path / "feed.zip"
    path.write_bytes(b"this is not a zip archive")
    reason = _only_rejection(ingest_paths(db, [path], settings=settings, workers=0))
    assert "zip" in reason
    _nothing_written(db)


def test_a_missing_path_is_a_clear_error(db: Database, settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(InputNotFound, match="no such file"):
        ingest_paths(db, [tmp_path / "nowhere"], settings=settings, workers=0)


def test_yaml_with_a_python_tag_is_refused(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "PYSEC-2099-1.yaml"
    path.write_text(
        "id: !!python/object/apply:os.system ['echo pwned']\nmodified: 2024-01-01T00:00:00Z\n"
    )
    _only_rejection(ingest_paths(db, [path], settings=settings, workers=0))
    _nothing_written(db)
