"""Read whatever a participant uploads as their software inventory: a CycloneDX or SPDX SBOM, or
a lockfile, told apart by its file name and, where the name does not say, by its content.

The name decides for the files tools always name the same way (poetry.lock, go.sum, ...), for
requirements files, and for the suffixes SBOM tools use (`.cdx.json`, `.spdx.json`, `.spdx`).
Any other JSON is read once and told by its keys (`bomFormat`, `spdxVersion`, ...), XML by being
XML (only CycloneDX is read as XML), and other text by its first line. Every error is a
`FormatError` (`InvalidRecord`) naming the file and the place at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import orjson

from clearinghouse.formats.components import SbomDocument
from clearinghouse.formats.cyclonedx import cyclonedx_from_json, read_cyclonedx_xml
from clearinghouse.formats.errors import InvalidRecord
from clearinghouse.formats.lockfiles import (
    LOCKFILES,
    is_requirements_file,
    read_go_module,
    read_package_lock,
    read_pipfile_lock,
    read_requirements_txt,
    read_yarn_lock,
)
from clearinghouse.formats.spdx import read_spdx_tag_value, spdx_from_json

__all__ = ["MAX_SBOM_BYTES", "read_sbom", "read_sbom_path"]

MAX_SBOM_BYTES = 50 * 1024 * 1024
"""The largest file read by default (50 MiB): real SBOMs of large products stay well below."""

_BOM = b"\xef\xbb\xbf"
_SPDX_TAG_VALUE = re.compile(rb"^\s*SPDXVersion\s*:", re.MULTILINE)
_YARN_CLASSIC = re.compile(rb"^# yarn lockfile v1\s*$", re.MULTILINE)
_YARN_BERRY = re.compile(rb"^__metadata:\s*$", re.MULTILINE)
# SPDX serialisations spdx-tools parses with libraries other than our hardened ones.
_SPDX_UNREAD = (".spdx.yaml", ".spdx.yml", ".spdx.xml", ".spdx.rdf", ".spdx.rdf.xml", ".rdf")
_KINDS = (
    "CycloneDX (JSON or XML), SPDX 2.2/2.3 (JSON or tag-value), requirements.txt, poetry.lock, "
    "uv.lock, Pipfile.lock, package-lock.json, yarn.lock, Cargo.lock, go.mod or go.sum"
)

_Reader = Callable[..., SbomDocument]


def read_sbom(data: bytes, filename: str, *, max_bytes: int = MAX_SBOM_BYTES) -> SbomDocument:
    """Read an SBOM or lockfile called `filename` (folders in it are ignored) into its components.

    Raises `InvalidRecord` when the file is larger than `max_bytes`, is of no kind read here, or
    does not follow its format.
    """
    if len(data) > max_bytes:
        raise InvalidRecord(
            f"the file is {len(data):,} bytes; at most {max_bytes:,} are read", source=filename
        )
    name = _base_name(filename)
    reader = _reader_by_name(name)
    if reader is not None:
        return reader(data, source=filename)
    head = data.removeprefix(_BOM).lstrip()
    if head.startswith((b"{", b"[")):
        return _read_json(data, source=filename)
    if head.startswith(b"<"):
        return read_cyclonedx_xml(data, source=filename)
    if _SPDX_TAG_VALUE.search(data[:4096]):
        return read_spdx_tag_value(data, source=filename)
    if _YARN_CLASSIC.search(data[:4096]) or _YARN_BERRY.search(data[:4096]):
        return read_yarn_lock(data, source=filename)
    raise InvalidRecord(
        f"cannot tell what kind of file this is; read here: {_KINDS}", source=filename
    )


def read_sbom_path(path: Path, *, max_bytes: int = MAX_SBOM_BYTES) -> SbomDocument:
    """Read a file, or a Go module folder (its go.mod, else its go.sum), without reading more
    than `max_bytes` of any file."""
    if path.is_dir():
        go_mod, go_sum = path / "go.mod", path / "go.sum"
        if not go_mod.is_file() and not go_sum.is_file():
            raise InvalidRecord(
                "a folder is read as a Go module, and it has no go.mod or go.sum", source=str(path)
            )
        return read_go_module(
            _read_limited(go_mod, max_bytes) if go_mod.is_file() else None,
            _read_limited(go_sum, max_bytes) if go_sum.is_file() else None,
            source=str(path),
        )
    return read_sbom(_read_limited(path, max_bytes), path.name, max_bytes=max_bytes)


def _read_limited(path: Path, max_bytes: int) -> bytes:
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidRecord(
            f"the file is {size:,} bytes; at most {max_bytes:,} are read", source=str(path)
        )
    return path.read_bytes()


def _base_name(filename: str) -> str:
    # Uploads come from browsers and CLIs on any system: "C:\\x\\bom.json" is "bom.json".
    return PureWindowsPath(PurePosixPath(filename).name).name.lower()


def _reader_by_name(name: str) -> _Reader | None:
    if name.endswith(_SPDX_UNREAD):
        return _refuse_spdx_serialisation
    if name in LOCKFILES:
        return LOCKFILES[name]
    if is_requirements_file(name):
        return read_requirements_txt
    if name.endswith(".spdx"):
        return read_spdx_tag_value
    if name.endswith((".cdx.xml", ".bom.xml")) or name == "bom.xml":
        return read_cyclonedx_xml
    return None


def _refuse_spdx_serialisation(data: bytes, *, source: str) -> SbomDocument:
    raise InvalidRecord(
        "SPDX in YAML, XML or RDF is not read here: SPDX JSON and tag-value are", source=source
    )


def _read_json(data: bytes, *, source: str) -> SbomDocument:
    """Any JSON: parsed once, then read by what its keys say it is."""
    try:
        document = orjson.loads(data.removeprefix(_BOM))
    except orjson.JSONDecodeError as exc:
        raise InvalidRecord(f"not valid JSON: {exc}", source=source) from exc
    if not isinstance(document, dict):
        raise InvalidRecord(f"a JSON {type(document).__name__}, not an SBOM", source=source)
    if "bomFormat" in document:
        return cyclonedx_from_json(document, source=source)
    if "spdxVersion" in document or "@context" in document:
        return spdx_from_json(document, source=source)
    if "lockfileVersion" in document:
        return read_package_lock(data, source=source)
    if _is_pipfile_lock(document):
        return read_pipfile_lock(data, source=source)
    raise InvalidRecord(
        "JSON that is neither CycloneDX (no bomFormat) nor SPDX (no spdxVersion) nor a "
        f"lockfile; read here: {_KINDS}",
        source=source,
    )


def _is_pipfile_lock(document: dict[str, Any]) -> bool:
    meta = document.get("_meta")
    return isinstance(meta, dict) and "pipfile-spec" in meta
