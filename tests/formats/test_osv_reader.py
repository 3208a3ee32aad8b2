"""OSV JSON and YAML: every real record loads, errors name the path, YAML stays safe."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import yaml

from clearinghouse.formats import (
    InvalidRecord,
    dump_osv,
    load_osv_json,
    load_osv_yaml,
    parse_timestamp,
    validate_osv,
)

YAML_GOLDEN = [
    "pypi/requests/PYSEC-2023-74.yaml",
    "pypi/idna/PYSEC-2024-60.yaml",
    "pypi/pip/PYSEC-2023-228.yaml",
    "pypi/matrix-synapse/PYSEC-2021-425.yaml",
    "pypi/django/PYSEC-2024-28.yaml",
]


def test_every_shared_osv_record_loads_and_validates(shared_data: Path) -> None:
    root = shared_data / "osv"
    started = time.perf_counter()
    loaded, failures = 0, []
    for path in sorted(root.rglob("*")):
        loader = {".json": load_osv_json, ".yaml": load_osv_yaml}.get(path.suffix)
        if loader is None:
            continue
        try:
            doc = loader(path.read_bytes(), source=str(path.relative_to(root)))
        except InvalidRecord as exc:
            failures.append(str(exc))
            continue
        assert doc["id"] == path.stem, path
        loaded += 1
    elapsed = time.perf_counter() - started
    assert not failures, f"{len(failures)} records refused:\n" + "\n".join(failures[:50])
    assert loaded > 6_000
    print(f"{loaded} OSV records in {elapsed:.2f}s")


def test_yaml_timestamps_come_back_as_the_json_strings(shared_data: Path) -> None:
    # Unquoted YAML timestamps would be datetimes; OSV wants the RFC 3339 text, digits as written.
    path = shared_data / "osv/pypi/idna/PYSEC-2024-60.yaml"
    assert "modified: 2024-07-11T17:21:37.216928Z" in path.read_text()
    doc = load_osv_yaml(path.read_bytes())
    assert doc["modified"] == "2024-07-11T17:21:37.216928Z"
    assert doc["published"] == "2024-07-07T18:15:00Z"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2024-07-11T17:21:37.21692Z", "2024-07-11T17:21:37.21692Z"),
        ("2024-07-11 17:21:37", "2024-07-11T17:21:37Z"),
        ("2024-07-11T19:21:37.5+02:00", "2024-07-11T17:21:37.5Z"),
        ("2024-01-01T00:30:00-01:00", "2024-01-01T01:30:00Z"),
    ],
)
def test_yaml_timestamp_forms_are_normalised(written: str, expected: str) -> None:
    doc = load_osv_yaml(f"id: OSV-1\nmodified: {written}\n".encode())
    assert doc["modified"] == expected


def test_a_bare_yaml_date_stays_a_string() -> None:
    doc = load_osv_yaml(
        b"id: OSV-1\nmodified: 2024-01-01T00:00:00Z\ndatabase_specific:\n  day: 2024-01-02\n"
    )
    assert doc["database_specific"]["day"] == "2024-01-02"


@pytest.mark.parametrize("relative", YAML_GOLDEN)
def test_yaml_records_round_trip_to_golden_json(shared_data: Path, golden, relative: str) -> None:
    doc = load_osv_yaml((shared_data / "osv" / relative).read_bytes(), source=relative)
    assert load_osv_json(dump_osv(doc)) == doc
    golden(f"osv/{Path(relative).stem}", doc)


def test_dump_osv_is_canonical() -> None:
    doc = {"modified": "2024-01-01T00:00:00Z", "id": "GHSA-1", "aliases": ["b", "a"]}
    assert dump_osv(doc) == b'{"aliases":["b","a"],"id":"GHSA-1","modified":"2024-01-01T00:00:00Z"}'


def test_parse_timestamp() -> None:
    assert parse_timestamp("2024-01-02T03:04:05.5Z") == datetime(2024, 1, 2, 3, 4, 5, 500000, UTC)
    for bad in ("2024-01-02", "2024-01-02T03:04:05", "2024-13-02T03:04:05Z", "yesterday"):
        with pytest.raises(InvalidRecord):
            parse_timestamp(bad)


VALID = {"id": "GHSA-aaaa-bbbb-cccc", "modified": "2024-01-02T03:04:05Z"}


def _json(**changes: object) -> bytes:
    return orjson.dumps({**VALID, **changes})


@pytest.mark.parametrize(
    ("data", "path", "reason"),
    [
        (b'{"id": "GHSA-1", "modified": "2024-', "$", "not valid JSON"),
        (b'{"id": "GHSA-\xff", "modified": "x"}', "$", "not valid UTF-8"),
        (b"[1, 2]", "$", "must be an object"),
        (_json(aliases=5), "$.aliases", "not of type"),
        (_json(summary=["x"]), "$.summary", "not of type"),
        (orjson.dumps({"modified": VALID["modified"]}), "$.id", "'id' is required"),
        (orjson.dumps({"id": VALID["id"]}), "$.modified", "'modified' is required"),
        (_json(modified="2024-02-30T00:00:00Z"), "$.modified", "not a valid date"),
        (_json(published="yesterday"), "$.published", ""),
        (_json(id="NOPE-1"), "$.id", ""),
        (
            _json(
                affected=[
                    {
                        "package": {"ecosystem": "PyPI", "name": "x"},
                        "ranges": [
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}]},
                            {"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}]},
                        ],
                    }
                ]
            ),
            "$.affected[0].ranges[1].events",
            "",
        ),
        (
            _json(affected=[{"package": {"ecosystem": "Nope", "name": "x"}}]),
            "$.affected[0].package.ecosystem",
            "",
        ),
    ],
)
def test_invalid_json_records_name_the_path(data: bytes, path: str, reason: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        load_osv_json(data, source="feed.zip!x.json")
    assert caught.value.path == path
    assert reason in caught.value.reason
    assert caught.value.source == "feed.zip!x.json"
    assert str(caught.value).startswith(f"feed.zip!x.json: {path}: ")


def test_python_tags_in_yaml_are_refused_safely(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = (
        f"id: OSV-1\nmodified: 2024-01-01T00:00:00Z\n"
        f"x: !!python/object/apply:os.system ['touch {marker}']\n"
    ).encode()
    with pytest.raises(InvalidRecord, match="not valid YAML"):
        load_osv_yaml(data)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (b"id: OSV-1\nmodified: [unclosed\n", "$"),
        (b"id: OSV-1\nmodified: 2024-01-01T00:00:00Z\naliases: 5\n", "$.aliases"),
        (b"- just\n- a list\n", "$"),
        (b"id: OSV-1\nmodified: 2024-01-01T00:00:00Z\n1: numeric key\n", "$"),
        (
            b"id: OSV-1\nmodified: 2024-01-01T00:00:00Z\ndatabase_specific: {x: .nan}\n",
            "$.database_specific.x",
        ),
        (
            b"id: OSV-1\nmodified: 2024-01-01T00:00:00Z\ndatabase_specific: {x: !!binary aGk=}\n",
            "$.database_specific.x",
        ),
        (b"\xff\xfe not utf-8", "$"),
    ],
)
def test_invalid_yaml_records_name_the_path(data: bytes, path: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        load_osv_yaml(data)
    assert caught.value.path == path


def test_yaml_alias_bombs_are_refused() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
    bomb = "id: OSV-1\nmodified: 2024-01-01T00:00:00Z\ndatabase_specific:\n  " + "\n  ".join(lines)
    started = time.perf_counter()
    with pytest.raises(InvalidRecord, match="aliases"):
        load_osv_yaml(bomb.encode())
    assert time.perf_counter() - started < 2


def test_validate_osv_returns_the_document() -> None:
    doc = dict(VALID)
    assert validate_osv(doc) is doc


def test_safe_loader_is_what_parses() -> None:
    # The C loader is used where PyYAML has it (speed); either way it is a SafeLoader.
    from clearinghouse.formats.osv import _OsvYamlLoader

    assert issubclass(_OsvYamlLoader, yaml.SafeLoader) or issubclass(
        _OsvYamlLoader, yaml.CSafeLoader
    )
