"""CVE JSON 5 records (real ones from CVEProject/cvelistV5): structure checks, OSV conversion."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from clearinghouse.formats import InvalidRecord, cve5_to_osv, load_cve5, load_osv_yaml

DATA = Path(__file__).parent / "data" / "cve5"
RECORDS = sorted(p.name for p in DATA.glob("*.json"))


def _convert(name: str) -> dict:
    return cve5_to_osv(load_cve5((DATA / name).read_bytes(), source=name))


def test_records_are_here() -> None:
    assert len(RECORDS) >= 6


@pytest.mark.parametrize("name", RECORDS)
def test_conversion_matches_golden(golden, name: str) -> None:
    golden(f"cve5/{Path(name).stem}", _convert(name))


def test_rejected_record_is_withdrawn() -> None:
    doc = _convert("CVE-2023-52071.json")
    assert doc["withdrawn"] == "2024-02-23T00:00:00Z"
    assert doc["modified"] == "2024-02-23T08:12:51.640297Z"
    assert "published" not in doc
    assert doc["details"].startswith("DO NOT USE THIS CANDIDATE NUMBER")


def test_cvss_v4_and_v3_are_both_kept_and_english_is_chosen() -> None:
    doc = _convert("CVE-2024-7120.json")
    assert [s["type"] for s in doc["severity"]] == ["CVSS_V3", "CVSS_V4"]
    assert doc["severity"][0]["score"].startswith("CVSS:3.1/")
    assert doc["details"].startswith("A vulnerability, which was classified as critical")
    assert "affected" not in doc  # vendor products without a package collection
    assert doc["database_specific"]["cve5"]["affected"][0]["product"] == "MSG1200"
    assert doc["database_specific"]["cwe_ids"] == ["CWE-78"]


def test_pypi_package_matches_the_pypa_record(shared_data: Path) -> None:
    doc = _convert("CVE-2023-5752.json")
    (affected,) = doc["affected"]
    assert affected["package"] == {"ecosystem": "PyPI", "name": "pip"}
    assert affected["ranges"] == [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "23.3"}]}
    ]
    pypa = load_osv_yaml((shared_data / "osv/pypi/pip/PYSEC-2023-228.yaml").read_bytes())
    assert "CVE-2023-5752" in pypa["aliases"]
    pypa_fixed = [
        event["fixed"]
        for r in pypa["affected"][0]["ranges"]
        if r["type"] == "ECOSYSTEM"
        for event in r["events"]
        if "fixed" in event
    ]
    assert pypa_fixed == ["23.3"]


def test_go_packages_use_module_names() -> None:
    doc = _convert("CVE-2023-39325.json")
    names = [a["package"]["name"] for a in doc["affected"]]
    assert names == ["stdlib", "golang.org/x/net"]
    assert (
        doc["affected"][1]["ecosystem_specific"]["imports"][0]["path"] == "golang.org/x/net/http2"
    )
    assert doc["database_specific"]["cwe_ids"] == ["CWE-400"]


def test_timestamps_without_zone_are_utc() -> None:
    doc = _convert("CVE-2024-24680.json")
    assert doc["modified"] == "2024-04-13T04:06:01.781961Z"
    assert doc["published"] == "2024-02-06T00:00:00Z"


def _record(**changes: object) -> dict:
    record = orjson.loads((DATA / "CVE-2023-5752.json").read_bytes())
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        target = record
        for key in parents:
            target = target[int(key)] if isinstance(target, list) else target[key]
        if value is None:
            del target[last]
        else:
            target[last] = value
    return record


@pytest.mark.parametrize(
    ("record", "path"),
    [
        (_record(dataType="CVE"), "$.dataType"),
        (_record(dataVersion="4.0"), "$.dataVersion"),
        (_record(cveMetadata__cveId="CVE-23-1"), "$.cveMetadata.cveId"),
        (_record(cveMetadata__cveId=None), "$.cveMetadata.cveId"),
        (_record(cveMetadata__state="RESERVED"), "$.cveMetadata.state"),
        (_record(cveMetadata__dateUpdated="last tuesday"), "$.cveMetadata.dateUpdated"),
        (_record(containers__cna=None), "$.containers.cna"),
        (_record(containers__cna__descriptions=None), "$.containers.cna.descriptions"),
        (_record(containers__cna__title=["x"]), "$.containers.cna.title"),
        (_record(containers__cna__references=[{"tags": []}]), "$.containers.cna.references[0].url"),
        (_record(containers__cna__affected="pip"), "$.containers.cna.affected"),
        (
            _record(containers__cna__affected__0__versions__0__version=None),
            "$.containers.cna.affected[0].versions[0].version",
        ),
        (_record(containers__cna__metrics__0__cvssV3_1=5), "$.containers.cna.metrics[0].cvssV3_1"),
    ],
)
def test_invalid_records_name_the_path(record: dict, path: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        load_cve5(orjson.dumps(record), source="cves/x.json")
    assert caught.value.path == path


@pytest.mark.parametrize("data", [b"", b"{", b"[]", b"\xff\xfe{}", b'"CVE_RECORD"'])
def test_not_a_record(data: bytes) -> None:
    with pytest.raises(InvalidRecord):
        load_cve5(data)
