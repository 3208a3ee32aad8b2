"""Parse a CSAF document strictly: a size limit, UTF-8, RFC 8259 JSON, no duplicate keys."""

from __future__ import annotations

import json
from typing import Any

from clearinghouse.formats.errors import FormatError

# CSAF documents of the largest vendors are a few MiB; 20 MiB leaves room and bounds memory.
MAX_CSAF_BYTES = 20 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


class CsafUnreadable(FormatError):
    """The bytes are not a CSAF document to validate: too large, not UTF-8 or not strict JSON."""

    title = "Unreadable CSAF document"


def _refuse_constant(name: str) -> Any:
    raise CsafUnreadable(f"not strict JSON: {name} is not a JSON number")


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise CsafUnreadable(f"not strict JSON: the key {key!r} appears twice in one object")
        document[key] = value
    return document


def load_csaf(data: bytes, *, max_bytes: int = MAX_CSAF_BYTES) -> dict[str, Any]:
    """The JSON object in `data`; `CsafUnreadable` says why when there is none to validate."""
    if len(data) > max_bytes:
        raise CsafUnreadable(
            f"the document is {len(data):,} bytes; CSAF documents are limited to {max_bytes:,}"
        )
    try:
        text = data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CsafUnreadable(f"CSAF is UTF-8 JSON, and byte {exc.start} is not UTF-8") from exc
    try:
        document = json.loads(
            text, object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as exc:
        raise CsafUnreadable(
            f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from exc
    except RecursionError as exc:
        raise CsafUnreadable("not a CSAF document: JSON nested too deeply") from exc
    if not isinstance(document, dict):
        raise CsafUnreadable(f"a CSAF document is a JSON object, not a {type(document).__name__}")
    return document
