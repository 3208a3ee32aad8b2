"""Read SPDX 2.2 and 2.3 documents (JSON and tag-value) into an `SbomDocument`, with spdx-tools.

spdx-tools' `parse_file` wants a file name and tells the format by its extension. We call the
two parsers it dispatches to directly instead: `JsonLikeDictParser` on the JSON we have parsed
(with the same clean-up of control characters its JSON reader does) and the tag-value `Parser`
on the decoded text. The upload never touches the disk, and nothing depends on its name.

A package is a component when it has an external reference of category PACKAGE-MANAGER
(PACKAGE_MANAGER in SPDX 2.2) and type purl; every other package is skipped with the reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from clearinghouse.formats.components import Component, SbomDocument, SkippedComponent
from clearinghouse.formats.cyclonedx import component_from_purl
from clearinghouse.formats.errors import InvalidRecord

if TYPE_CHECKING:
    from spdx_tools.spdx.model import Document, Package

# spdx-tools is imported where it is used: its model takes most of a second to import (beartype
# decorates every class), and every command that imports `clearinghouse.formats` would pay it.

__all__ = ["SUPPORTED_VERSIONS", "read_spdx", "read_spdx_json", "read_spdx_tag_value"]

SUPPORTED_VERSIONS = ("SPDX-2.2", "SPDX-2.3")

_BOM = b"\xef\xbb\xbf"
# What spdx-tools' JSON reader drops from every string (backspace, form feed).
_CONTROL_CHARACTERS = {8: None, 12: None}
# spdx-tools reports every problem it finds; the first few say what is wrong.
_MESSAGES_SHOWN = 3
# Exceptions spdx-tools lets escape on input it does not expect, besides SPDXParsingError
# (a string where it wants a list, a missing key in a nested object, an unknown enum value).
_LIBRARY_FAILURES = (TypeError, ValueError, KeyError, AttributeError, IndexError)


def read_spdx(data: bytes, *, source: str = "") -> SbomDocument:
    """An SPDX 2.2/2.3 document in JSON (starts with '{') or tag-value (anything else)."""
    if data.removeprefix(_BOM).lstrip()[:1] == b"{":
        return read_spdx_json(data, source=source)
    return read_spdx_tag_value(data, source=source)


def read_spdx_json(data: bytes, *, source: str = "") -> SbomDocument:
    """An SPDX 2.2/2.3 JSON document."""
    try:
        document = orjson.loads(data.removeprefix(_BOM))
    except orjson.JSONDecodeError as exc:
        raise InvalidRecord(f"not valid JSON: {exc}", source=source) from exc
    return spdx_from_json(document, source=source)


def spdx_from_json(document: object, *, source: str = "") -> SbomDocument:
    """The `SbomDocument` of an already parsed SPDX JSON document."""
    if not isinstance(document, dict):
        raise InvalidRecord("an SPDX document is a JSON object", source=source)
    if "@context" in document or "@graph" in document:
        raise InvalidRecord(
            "SPDX 3 (JSON-LD) is not read: SPDX 2.2 and 2.3 are", source=source, path="$"
        )
    _check_version(document.get("spdxVersion"), source=source, path="$.spdxVersion")
    from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser

    cleaned = _without_control_characters(document)
    parsed = _parse(lambda: JsonLikeDictParser().parse(cleaned), source=source, path="$")
    return _document(parsed, encoding="json")


def read_spdx_tag_value(data: bytes, *, source: str = "") -> SbomDocument:
    """An SPDX 2.2/2.3 tag-value document."""
    try:
        text = data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRecord(f"not valid UTF-8 (byte {exc.start})", source=source) from exc
    version = _tag_value_version(text)
    _check_version(version, source=source, path="SPDXVersion")

    def parse() -> Document:
        from ply import yacc
        from spdx_tools.spdx.parser.tagvalue.parser import Parser as TagValueParser

        # A parser per document: it keeps the elements it has built. No parse tables are
        # written to disk, and ply's grammar warnings are not printed.
        parser = TagValueParser(write_tables=False, debug=False, errorlog=yacc.NullLogger())
        return parser.parse(text)

    # spdx-tools names the line at fault in its messages.
    return _document(_parse(parse, source=source, path=""), encoding="tag-value")


def _check_version(version: object, *, source: str, path: str) -> None:
    if not isinstance(version, str) or not version:
        raise InvalidRecord("no SPDX version", source=source, path=path)
    if version not in SUPPORTED_VERSIONS:
        raise InvalidRecord(
            f"unsupported SPDX version {version!r}: SPDX-2.2 and SPDX-2.3 are read",
            source=source,
            path=path,
        )


def _tag_value_version(text: str) -> str | None:
    for line in text.splitlines():
        tag, _, value = line.partition(":")
        if tag.strip() == "SPDXVersion":
            return value.strip()
    return None


def _parse(parse: Any, *, source: str, path: str) -> Document:
    from spdx_tools.spdx.parser.error import SPDXParsingError

    try:
        document: Document = parse()
    except SPDXParsingError as exc:
        messages = [str(message) for message in exc.get_messages()]
        shown = "; ".join(messages[:_MESSAGES_SHOWN])
        more = len(messages) - _MESSAGES_SHOWN
        suffix = f" (and {more} more)" if more > 0 else ""
        raise InvalidRecord(f"spdx-tools: {shown}{suffix}", source=source, path=path) from exc
    except _LIBRARY_FAILURES as exc:
        raise InvalidRecord(
            f"spdx-tools cannot read it: {type(exc).__name__}: {exc}", source=source, path=path
        ) from exc
    except RecursionError as exc:
        raise InvalidRecord("nested too deeply to read", source=source, path=path) from exc
    return document


def _without_control_characters(value: Any) -> Any:
    # Iterative: the nesting of an upload is its author's choice, not ours.
    root: list[Any] = [value]
    stack: list[tuple[Any, Any]] = [(root, 0)]
    while stack:
        container, key = stack.pop()
        item = container[key]
        if isinstance(item, str):
            container[key] = item.translate(_CONTROL_CHARACTERS)
        elif isinstance(item, dict):
            stack.extend((item, k) for k in item)
        elif isinstance(item, list):
            stack.extend((item, i) for i in range(len(item)))
    return root[0]


def _document(document: Document, *, encoding: str) -> SbomDocument:
    components: list[Component] = []
    skipped: list[SkippedComponent] = []
    for index, package in enumerate(document.packages):
        found = _package(package, f"packages[{index}]")
        if isinstance(found, Component):
            components.append(found)
        else:
            skipped.append(found)
    return SbomDocument(
        format="SPDX",
        format_version=document.creation_info.spdx_version,
        encoding=encoding,
        name=document.creation_info.name or None,
        components=tuple(components),
        skipped=tuple(skipped),
    )


def _package(package: Package, location: str) -> Component | SkippedComponent:
    from spdx_tools.spdx.model import ExternalPackageRefCategory

    version = package.version or None
    purls = [
        reference.locator
        for reference in package.external_references
        if reference.category == ExternalPackageRefCategory.PACKAGE_MANAGER
        and reference.reference_type == "purl"
    ]
    if not purls:
        return SkippedComponent(
            package.name,
            "no purl (no PACKAGE-MANAGER purl external reference)",
            version,
            None,
            package.spdx_id,
            location,
        )
    found = [
        component_from_purl(
            purl, name=package.name, version=version, bom_ref=package.spdx_id, location=location
        )
        for purl in purls
    ]
    # The first usable purl; else the reason the first one is not usable.
    return next((entry for entry in found if isinstance(entry, Component)), found[0])
