"""What every lockfile reader shares: decoding the file, and the list of packages it pins.

A lockfile names packages the way its own ecosystem does; `PackageList` turns each into a
`Component` named as OSV names it (through the same purl rules as SBOMs: `to_purl`, then
`parse_purl`), so that "Django" in a poetry.lock and "django" in a CycloneDX file are one
package. A lockfile may list one package at one version more than once (npm installs a copy per
place in node_modules); that is one component, found at its first place.
"""

from __future__ import annotations

import tomllib
from typing import Any

import orjson

from clearinghouse.formats.components import Component, SbomDocument, SkippedComponent
from clearinghouse.formats.errors import InvalidRecord
from clearinghouse.matching.errors import MatchingError
from clearinghouse.matching.purl import parse_purl, to_purl

__all__ = ["PackageList", "decode_text", "load_json", "load_toml", "text"]

_BOM = b"\xef\xbb\xbf"


class PackageList:
    """The packages one lockfile pins, in one ecosystem, and the entries that cannot be matched."""

    def __init__(self, ecosystem: str) -> None:
        self.ecosystem = ecosystem
        self._components: list[Component] = []
        self._skipped: list[SkippedComponent] = []
        self._warnings: list[str] = []
        self._seen: set[tuple[str, str]] = set()

    def add(self, name: str, version: str, *, location: str) -> None:
        """A package at an exact version, from the ecosystem's registry (or a copy of it)."""
        if not name:
            self.skip(name, "no package name", version=version, location=location)
            return
        if not version:
            self.skip(name, "no version", location=location)
            return
        try:
            package = parse_purl(to_purl(self.ecosystem, name, version))
        except (MatchingError, ValueError) as exc:
            self.skip(
                name, f"not a {self.ecosystem} package: {exc}", version=version, location=location
            )
            return
        key = (package.name, version)
        if key in self._seen:
            return
        self._seen.add(key)
        self._components.append(
            Component(package.ecosystem, package.name, version, package.purl, None, location)
        )

    def skip(self, name: str, reason: str, *, version: str | None = None, location: str) -> None:
        """An entry the matcher cannot use (a local path, no pinned version, ...), and why."""
        self._skipped.append(SkippedComponent(name, reason, version or None, None, None, location))

    def warn(self, message: str) -> None:
        """Something the reader noticed that is not about one package."""
        self._warnings.append(message)

    def document(
        self,
        *,
        format: str,
        encoding: str,
        format_version: str | None = None,
        name: str | None = None,
    ) -> SbomDocument:
        return SbomDocument(
            format=format,
            format_version=format_version,
            encoding=encoding,
            name=name,
            components=tuple(self._components),
            skipped=tuple(self._skipped),
            warnings=tuple(self._warnings),
        )


def decode_text(data: bytes, *, source: str) -> str:
    """The file as text: lockfiles are UTF-8 (a byte-order mark is tolerated)."""
    try:
        return data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(f"not valid UTF-8 (byte {exc.start})", source=source) from exc


def load_toml(data: bytes, *, source: str) -> dict[str, Any]:
    """A TOML lockfile (poetry.lock, uv.lock, Cargo.lock) as a table."""
    try:
        return tomllib.loads(decode_text(data, source=source))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidRecord(f"not valid TOML: {exc}", source=source) from exc
    except RecursionError as exc:
        raise InvalidRecord("not valid TOML: nested too deeply", source=source) from exc


def load_json(data: bytes, *, source: str) -> dict[str, Any]:
    """A JSON lockfile (package-lock.json, Pipfile.lock): one object."""
    try:
        document = orjson.loads(data.removeprefix(_BOM))
    except orjson.JSONDecodeError as exc:
        raise InvalidRecord(f"not valid JSON: {exc}", source=source) from exc
    if not isinstance(document, dict):
        raise InvalidRecord("the lockfile is not a JSON object", source=source)
    return document


def text(value: object) -> str | None:
    """A non-empty string field, or None for anything else (a lockfile field may be missing)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
