"""SPDX 2.2 and 2.3, JSON and tag-value, through spdx-tools: purl packages are components."""

from __future__ import annotations

import contextlib
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats.errors import FormatError, InvalidRecord
from clearinghouse.formats.spdx import read_spdx, read_spdx_json, read_spdx_tag_value

DATA = Path(__file__).parent / "data" / "sbom" / "spdx"
TAG_VALUE_HEADER = """SPDXVersion: SPDX-2.3
DataLicense: CC0-1.0
SPDXID: SPDXRef-DOCUMENT
DocumentName: demo
DocumentNamespace: https://example.com/spdxdocs/demo-1
Creator: Tool: demo-1.0
Created: 2024-01-01T00:00:00Z
"""


def test_json_packages_with_purls_are_components() -> None:
    document = read_spdx((DATA / "payments-api.spdx.json").read_bytes(), source="x.spdx.json")
    assert (document.format, document.format_version, document.encoding) == (
        "SPDX",
        "SPDX-2.3",
        "json",
    )
    assert document.name == "payments-api-2.4.1"
    assert [(c.ecosystem, c.name, c.version, c.location) for c in document.components] == [
        ("PyPI", "urllib3", "1.26.5", "packages[1]"),
        ("npm", "express", "4.17.1", "packages[2]"),
        ("Debian:12", "libssl3", "3.0.11-1~deb12u2", "packages[3]"),
    ]
    assert document.components[0].bom_ref == "SPDXRef-Package-python-urllib3-1b4b4a6b8c9d0e1f"
    assert {s.name: s.reason for s in document.skipped} == {
        "payments-api": "no purl (no PACKAGE-MANAGER purl external reference)",
        "zlib": "purl type 'generic' is not matched",
    }
    assert document.declared == 5


def test_tag_value_22_with_the_old_category_spelling() -> None:
    document = read_spdx((DATA / "billing-worker.spdx").read_bytes(), source="x.spdx")
    assert (document.format_version, document.encoding, document.name) == (
        "SPDX-2.2",
        "tag-value",
        "billing-worker-1.8.0",
    )
    assert [(c.ecosystem, c.name, c.version) for c in document.components] == [
        ("Go", "github.com/gin-gonic/gin", "v1.5.0"),
        ("Go", "golang.org/x/crypto", "v0.0.0-20201216223049-8b5274cf687f"),
    ]
    assert {s.name: s.reason for s in document.skipped} == {
        "billing-worker": "no purl (no PACKAGE-MANAGER purl external reference)",
        "github.com/example/unpinned": "purl has no version",
    }


def test_the_first_usable_purl_of_a_package_wins() -> None:
    text = TAG_VALUE_HEADER + (
        "\nPackageName: requests\nSPDXID: SPDXRef-requests\nPackageDownloadLocation: NOASSERTION\n"
        "ExternalRef: PACKAGE-MANAGER purl pkg:generic/requests@2.31.0\n"
        "ExternalRef: PACKAGE-MANAGER purl pkg:pypi/requests@2.31.0\n"
        "ExternalRef: SECURITY cpe23Type cpe:2.3:a:python:requests:2.31.0:*:*:*:*:*:*:*\n"
    )
    document = read_spdx_tag_value(text.encode())
    assert [c.purl for c in document.components] == ["pkg:pypi/requests@2.31.0"]


@pytest.mark.parametrize("version", ["SPDX-2.1", "SPDX-3.0", "2.3"])
def test_unsupported_versions(version: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        read_spdx_json(orjson.dumps({"spdxVersion": version}), source="s.json")
    assert caught.value.path == "$.spdxVersion" and "unsupported SPDX version" in str(caught.value)
    with pytest.raises(InvalidRecord, match="unsupported SPDX version"):
        read_spdx_tag_value(TAG_VALUE_HEADER.replace("SPDX-2.3", version).encode())


def test_spdx_3_json_ld_is_named() -> None:
    with pytest.raises(InvalidRecord, match="SPDX 3"):
        read_spdx_json(b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}')


def test_spdx_tools_messages_reach_the_caller() -> None:
    with pytest.raises(InvalidRecord) as caught:
        read_spdx_tag_value(TAG_VALUE_HEADER.encode() + b"PackageNam: x\n", source="bad.spdx")
    assert str(caught.value).startswith("bad.spdx: spdx-tools: ")
    assert "line 8" in str(caught.value)
    document = orjson.loads((DATA / "payments-api.spdx.json").read_bytes())
    del document["creationInfo"]
    with pytest.raises(InvalidRecord, match=r"spdx-tools: .*CreationInfo"):
        read_spdx_json(orjson.dumps(document))


def test_structural_surprises_are_format_errors() -> None:
    document = orjson.loads((DATA / "payments-api.spdx.json").read_bytes())
    document["packages"] = 3
    with pytest.raises(InvalidRecord, match="spdx-tools"):
        read_spdx_json(orjson.dumps(document))


def test_json_that_is_not_an_object() -> None:
    with pytest.raises(InvalidRecord, match="JSON object"):
        read_spdx_json(b"[]")
    with pytest.raises(InvalidRecord, match="not valid JSON"):
        read_spdx_json(b'{"spdxVersion": ')


def test_nothing_is_written_to_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # ply writes parse tables next to the grammar or in the working directory unless told not to.
    monkeypatch.chdir(tmp_path)
    read_spdx((DATA / "billing-worker.spdx").read_bytes())
    assert list(tmp_path.iterdir()) == []


@given(st.binary(max_size=300))
@settings(max_examples=200, deadline=None)
def test_any_bytes_raise_only_format_errors(data: bytes) -> None:
    for candidate in (data, b"{" + data, TAG_VALUE_HEADER.encode() + data):
        with contextlib.suppress(FormatError):
            read_spdx(candidate, source="fuzz")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)


@given(
    st.dictionaries(
        st.sampled_from(
            ["packages", "creationInfo", "name", "SPDXID", "relationships", "documentNamespace"]
        ),
        json_values,
    )
)
@settings(max_examples=200, deadline=None)
def test_any_json_shape_raises_only_format_errors(fields: dict[str, object]) -> None:
    base = orjson.loads((DATA / "payments-api.spdx.json").read_bytes())
    base.update(fields)
    with contextlib.suppress(FormatError):
        read_spdx_json(orjson.dumps(base))
