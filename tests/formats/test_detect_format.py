"""Format detection from the name and the first bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearinghouse.formats import Format, detect_format, dump_osv

CVE5 = Path(__file__).parent / "data" / "cve5"


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(4096)


def test_real_files(shared_data: Path) -> None:
    assert (
        detect_format("x.yaml", _head(next((shared_data / "osv/pypi").rglob("*.yaml"))))
        == Format.osv_yaml
    )
    assert (
        detect_format("GO-1.json", _head(next((shared_data / "osv/go").glob("*.json"))))
        == Format.osv_json
    )
    rustsec = next((shared_data / "rustsec/crates").rglob("*.md"))
    assert detect_format(str(rustsec), _head(rustsec)) == Format.rustsec
    kev = shared_data / "kev/known_exploited_vulnerabilities.json"
    assert detect_format(kev.name, _head(kev)) == Format.kev
    for record in CVE5.glob("*.json"):
        assert detect_format(f"cves.zip!cves/2023/{record.name}", _head(record)) == Format.cve5


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("a.yml", b"id: X\n", Format.osv_yaml),
        ("README.md", b"# Read me\n", None),
        ("x.md", b"\xef\xbb\xbf```toml\n[advisory]", Format.rustsec),
        ("x.json", b'{"vulnerabilities": [{"cveID": "CVE-1"}]}', Format.kev),
        ("x.json", b'{"id": "GHSA-1", "modified": "2024"}', Format.osv_json),
        ("x.json", b'{"name": "package.json"}', None),
        ("x.json", b"[1, 2, 3]", None),
        ("x.txt", b'{"id": "GHSA-1", "modified": "2024"}', None),
        ("x.JSON", b'{ "dataType" : "CVE_RECORD" }', Format.cve5),
    ],
)
def test_cases(name: str, head: bytes, expected: Format | None) -> None:
    assert detect_format(name, head) == expected


def test_canonical_osv_with_long_details_is_still_osv() -> None:
    doc = {"id": "GHSA-1", "modified": "2024-01-01T00:00:00Z", "details": "x" * 10_000}
    assert detect_format("GHSA-1.json", dump_osv(doc)[:4096]) == Format.osv_json


def test_a_json_schema_is_not_taken_for_the_documents_it_describes(shared_data) -> None:
    schema = shared_data / "kev" / "known_exploited_vulnerabilities_schema.json"
    assert detect_format(schema.name, schema.read_bytes()[:4096]) is None
    osv_schema = shared_data / "osv-schema" / "schema.json"
    assert detect_format(osv_schema.name, osv_schema.read_bytes()[:4096]) is None
