"""The CISA KEV catalog: the real catalog loads whole; bad entries are reported one by one."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import orjson
import pytest

from clearinghouse.formats import InvalidRecord, kev_entry_errors, load_kev_catalog

CATALOG = "kev/known_exploited_vulnerabilities.json"


@pytest.fixture(scope="module")
def catalog_bytes(shared_data: Path) -> bytes:
    return (shared_data / CATALOG).read_bytes()


def test_real_catalog_loads(catalog_bytes: bytes) -> None:
    catalog = load_kev_catalog(catalog_bytes, source=CATALOG)
    assert catalog.catalog_version == "2025.08.25"
    assert catalog.count == len(catalog.entries) == 1404
    assert catalog.date_released.tzinfo is not None
    assert len({entry.cve_id for entry in catalog.entries}) == 1404
    assert all(2021 <= entry.date_added.year <= 2025 for entry in catalog.entries)


def test_golden_entries(catalog_bytes: bytes, golden) -> None:
    catalog = load_kev_catalog(catalog_bytes)
    by_id = {entry.cve_id: entry for entry in catalog.entries}
    chosen = ["CVE-2025-48384", "CVE-2024-3400", "CVE-2023-4966", "CVE-2021-44228"]
    golden("kev/entries", [dataclasses.asdict(by_id[cve_id]) for cve_id in chosen])


def _broken(catalog_bytes: bytes) -> bytes:
    doc = orjson.loads(catalog_bytes)
    doc["vulnerabilities"][3]["dueDate"] = "2025-13-01"
    doc["vulnerabilities"][5]["cveID"] = 5
    del doc["vulnerabilities"][7]["product"]
    doc["vulnerabilities"][9]["cwes"] = ["CWE-x"]
    return orjson.dumps(doc)


def test_strict_load_names_the_first_bad_entry(catalog_bytes: bytes) -> None:
    with pytest.raises(InvalidRecord) as caught:
        load_kev_catalog(_broken(catalog_bytes), source="kev.json")
    assert caught.value.path == "$.vulnerabilities[3].dueDate"
    assert caught.value.source == "kev.json"


def test_lenient_load_keeps_good_entries_and_reports_each_bad_one(catalog_bytes: bytes) -> None:
    catalog, errors = kev_entry_errors(_broken(catalog_bytes))
    assert [e.path for e in errors] == [
        "$.vulnerabilities[3].dueDate",
        "$.vulnerabilities[5].cveID",
        "$.vulnerabilities[7].product",
        "$.vulnerabilities[9].cwes[0]",
    ]
    assert len(catalog.entries) == 1400


def test_count_mismatch_is_reported(catalog_bytes: bytes) -> None:
    doc = orjson.loads(catalog_bytes)
    doc["count"] = 1405
    _, errors = kev_entry_errors(orjson.dumps(doc))
    assert [e.path for e in errors] == ["$.count"]


@pytest.mark.parametrize(
    ("data", "path"),
    [
        (b'{"catalogVersion": "1"', "$"),
        (b"[]", "$"),
        (
            b'{"catalogVersion": "1", "dateReleased": "2025-01-01T00:00:00Z", "count": 0}',
            "$.vulnerabilities",
        ),
        (
            b'{"catalogVersion": "1", "dateReleased": "2025-01-01T00:00:00Z", "count": "0", '
            b'"vulnerabilities": []}',
            "$.count",
        ),
    ],
)
def test_document_problems_raise(data: bytes, path: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        kev_entry_errors(data)
    assert caught.value.path == path


def test_empty_catalog() -> None:
    catalog = load_kev_catalog(
        b'{"catalogVersion": "1", "dateReleased": "2025-01-01T00:00:00Z", "count": 0, '
        b'"vulnerabilities": []}'
    )
    assert catalog.entries == ()
    assert catalog.date_released.date() == date(2025, 1, 1)
