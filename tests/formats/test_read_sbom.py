"""`read_sbom`: the kind of file told by its name and content, a size limit, and errors that name
the file and the place at fault."""

from __future__ import annotations

import shutil
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats import FormatError, InvalidRecord, read_sbom
from clearinghouse.formats.sbom import MAX_SBOM_BYTES, read_sbom_path

DATA = Path(__file__).parent / "data" / "sbom"


def _bytes(relative: str) -> bytes:
    return (DATA / relative).read_bytes()


@pytest.mark.parametrize(
    ("relative", "upload_name", "kind"),
    [
        ("cyclonedx/payments-api.cdx.json", "bom.json", ("CycloneDX", "json")),
        ("cyclonedx/payments-api.cdx.json", "payments-api.cdx.json", ("CycloneDX", "json")),
        ("cyclonedx/payments-api.cdx.json", "sbom", ("CycloneDX", "json")),
        ("cyclonedx/billing-worker.cdx.xml", "bom.xml", ("CycloneDX", "xml")),
        ("cyclonedx/billing-worker.cdx.xml", "billing.cdx.xml", ("CycloneDX", "xml")),
        ("cyclonedx/billing-worker.cdx.xml", "export.xml", ("CycloneDX", "xml")),
        ("spdx/payments-api.spdx.json", "payments-api.spdx.json", ("SPDX", "json")),
        ("spdx/payments-api.spdx.json", "bom.json", ("SPDX", "json")),
        ("spdx/billing-worker.spdx", "billing-worker.spdx", ("SPDX", "tag-value")),
        ("spdx/billing-worker.spdx", "sbom.txt", ("SPDX", "tag-value")),
        ("lockfiles/pip/requirements.txt", "requirements-prod.txt", ("requirements.txt", "text")),
        ("lockfiles/poetry/poetry.lock", "poetry.lock", ("poetry.lock", "toml")),
        ("lockfiles/uv/uv.lock", "uv.lock", ("uv.lock", "toml")),
        ("lockfiles/pipenv/Pipfile.lock", "Pipfile.lock", ("Pipfile.lock", "json")),
        ("lockfiles/pipenv/Pipfile.lock", "pipfile-export.json", ("Pipfile.lock", "json")),
        ("lockfiles/npm-v3/package-lock.json", "package-lock.json", ("package-lock.json", "json")),
        ("lockfiles/npm-v3/package-lock.json", "lock.json", ("package-lock.json", "json")),
        (
            "lockfiles/npm-v1/package-lock.json",
            "npm-shrinkwrap.json",
            ("npm-shrinkwrap.json", "json"),
        ),
        ("lockfiles/yarn-classic/yarn.lock", "yarn.lock", ("yarn.lock", "text")),
        ("lockfiles/yarn-classic/yarn.lock", "frontend.lock", ("yarn.lock", "text")),
        ("lockfiles/yarn-berry/yarn.lock", "yarn.lock", ("yarn.lock", "yaml")),
        ("lockfiles/cargo/Cargo.lock", "Cargo.lock", ("Cargo.lock", "toml")),
        ("lockfiles/go/go.mod", "go.mod", ("go.mod", "text")),
        ("lockfiles/go/go.sum", "go.sum", ("go.sum", "text")),
    ],
)
def test_the_kind_is_told_by_name_and_content(
    relative: str, upload_name: str, kind: tuple[str, str]
) -> None:
    document = read_sbom(_bytes(relative), upload_name)
    assert (document.format, document.encoding) == kind
    assert document.declared > 0


def test_folders_and_case_in_the_name_do_not_matter() -> None:
    data = _bytes("lockfiles/cargo/Cargo.lock")
    assert read_sbom(data, "services/billing/CARGO.LOCK").format == "Cargo.lock"
    assert read_sbom(data, "C:\\work\\billing\\Cargo.lock").format == "Cargo.lock"


def test_the_size_limit() -> None:
    data = _bytes("lockfiles/go/go.sum")
    with pytest.raises(InvalidRecord) as caught:
        read_sbom(data, "go.sum", max_bytes=len(data) - 1)
    assert caught.value.source == "go.sum" and "at most" in caught.value.reason
    assert read_sbom(data, "go.sum", max_bytes=len(data)).format == "go.sum"
    assert MAX_SBOM_BYTES == 50 * 1024 * 1024


@pytest.mark.parametrize(
    ("data", "name", "place"),
    [
        (
            b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [{}]}',
            "bom.json",
            "$.components[0].type",
        ),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.1"}', "bom.json", "$.specVersion"),
        (b"<bom><components></bom>", "bom.xml", "line 1, column 20"),
        (b'[[package]]\nname = "a"\nversion = 1.0.0\n', "poetry.lock", "line 3"),
        (b"lodash@^4:\n  version 4\nbroken\n", "yarn.lock", "line 3"),
        (b"module m\nrequire a\n", "go.mod", "line 2"),
        (b'{"lockfileVersion": 9}', "package-lock.json", "$.lockfileVersion"),
    ],
)
def test_errors_name_the_file_and_the_place(data: bytes, name: str, place: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        read_sbom(data, name)
    assert caught.value.source == name
    assert place in str(caught.value), str(caught.value)


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"hello", "notes.md", "cannot tell what kind of file this is"),
        (b'{"name": "x"}', "data.json", "neither CycloneDX"),
        (b"[1, 2]", "data.json", "a JSON list"),
        (b"<?xml version='1.0'?><x/>", "data.xml", "not a CycloneDX document"),
        (b"spdxVersion: SPDX-2.3", "sbom.spdx.yaml", "SPDX in YAML, XML or RDF is not read"),
        (b'{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"}', "x.json", "SPDX 3"),
    ],
)
def test_files_of_no_kind_read_here(data: bytes, name: str, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        read_sbom(data, name)


def test_read_sbom_path_reads_a_file_and_a_go_module_folder(tmp_path: Path) -> None:
    assert read_sbom_path(DATA / "cyclonedx" / "payments-api.cdx.json").format == "CycloneDX"
    folder = tmp_path / "module"
    shutil.copytree(DATA / "lockfiles" / "go", folder)
    assert read_sbom_path(folder).format == "go.mod"
    (folder / "go.mod").unlink()
    assert read_sbom_path(folder).format == "go.sum"
    (folder / "go.sum").unlink()
    with pytest.raises(InvalidRecord, match=r"no go\.mod or go\.sum"):
        read_sbom_path(folder)


def test_read_sbom_path_checks_the_size_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "go.sum"
    big.write_bytes(b"golang.org/x/net v0.17.0 h1:x=\n" * 100)
    with pytest.raises(InvalidRecord, match="at most 1,000 are read"):
        read_sbom_path(big, max_bytes=1000)


def test_a_large_cyclonedx_sbom_is_read_in_well_under_a_second() -> None:
    import time

    components = [
        {"type": "library", "bom-ref": f"c{i}", "name": f"p{i}", "purl": f"pkg:pypi/p{i}@1.0"}
        for i in range(10_000)
    ]
    data = orjson.dumps({"bomFormat": "CycloneDX", "specVersion": "1.5", "components": components})
    started = time.perf_counter()
    document = read_sbom(data, "bom.json")
    elapsed = time.perf_counter() - started
    assert document.declared == 10_000
    assert elapsed < 5  # about 0.2 s here; generous for a loaded CI machine


names = st.sampled_from(
    [
        "bom.json",
        "bom.xml",
        "x.spdx",
        "x.spdx.json",
        "requirements.txt",
        "poetry.lock",
        "uv.lock",
        "Pipfile.lock",
        "package-lock.json",
        "yarn.lock",
        "Cargo.lock",
        "go.mod",
        "go.sum",
        "unknown.bin",
    ]
)
prefixes = st.sampled_from(
    [b"", b"{", b"<", b"SPDXVersion: SPDX-2.3\n", b"# yarn lockfile v1\n", b"__metadata:\n"]
)


@given(prefixes, st.binary(max_size=300), names)
@settings(max_examples=400, deadline=None)
def test_no_byte_string_raises_anything_but_a_format_error(
    prefix: bytes, data: bytes, name: str
) -> None:
    try:
        read_sbom(prefix + data, name)
    except FormatError as exc:
        assert str(exc)
