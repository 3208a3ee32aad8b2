"""The vendored CSAF and CVSS schemas are the shared copies byte for byte, and resolve offline."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pytest

from clearinghouse.formats.csaf.schema import CVSS_SCHEMA_FILES, csaf_schema, schema_failures

VENDORED = files("clearinghouse.formats").joinpath("schemas")


@pytest.mark.parametrize(
    ("vendored", "shared"),
    [
        ("csaf-2.0-schema.json", "json_schema/csaf_json_schema.json"),
        ("cvss-v2.0.json", "referenced_schema/first/cvss-v2.0.json"),
        ("cvss-v3.0.json", "referenced_schema/first/cvss-v3.0.json"),
        ("cvss-v3.1.json", "referenced_schema/first/cvss-v3.1.json"),
    ],
)
def test_vendored_schema_equals_shared_copy(shared_data: Path, vendored: str, shared: str) -> None:
    source = shared_data / "csaf" / "2.0" / shared
    assert VENDORED.joinpath(vendored).read_bytes() == source.read_bytes()


def test_every_remote_ref_of_the_csaf_schema_is_vendored() -> None:
    text = VENDORED.joinpath("csaf-2.0-schema.json").read_text(encoding="utf-8")
    refs = {url for url, _ in CVSS_SCHEMA_FILES.values()}
    assert all(url in text for url in refs)
    assert (
        csaf_schema()["$id"] == "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
    )


def test_a_cvss_v31_object_is_checked_through_the_vendored_ref() -> None:
    # A v3.1 object with an impossible baseScore is only refused if the $ref was resolved.
    doc = {
        "vulnerabilities": [
            {
                "scores": [
                    {
                        "products": ["P1"],
                        "cvss_v3": {
                            "version": "3.1",
                            "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                            "baseScore": 11,
                            "baseSeverity": "CRITICAL",
                        },
                    }
                ]
            }
        ]
    }
    paths = {failure.path for failure in schema_failures(doc)}
    assert "/vulnerabilities/0/scores/0/cvss_v3" in paths
