"""`load_csaf` reads strictly: a size limit, UTF-8, RFC 8259 JSON, one value per key, an object."""

from __future__ import annotations

import json

import pytest
from csaf_documents import base_document

from clearinghouse.formats.csaf import MAX_CSAF_BYTES, CsafUnreadable, load_csaf
from clearinghouse.formats.errors import FormatError


def test_a_document_round_trips() -> None:
    doc = base_document()
    assert load_csaf(json.dumps(doc).encode()) == doc
    assert load_csaf(b"\xef\xbb\xbf" + json.dumps(doc).encode()) == doc


def test_over_twenty_mib_is_refused_before_parsing() -> None:
    assert MAX_CSAF_BYTES == 20 * 1024 * 1024
    with pytest.raises(CsafUnreadable, match="limited to 20,971,520"):
        load_csaf(b" " * (MAX_CSAF_BYTES + 1))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"a": 1, "a": 2}', "appears twice"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": Infinity}', "Infinity is not a JSON number"),
        (b'{"a": 1,}', "not JSON"),
        (b"[1, 2]", "JSON object, not a list"),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b"[" * 100_000, "nested too deeply|not JSON"),
    ],
)
def test_what_is_not_strict_json_is_refused(data: bytes, reason: str) -> None:
    with pytest.raises(CsafUnreadable, match=reason) as raised:
        load_csaf(data)
    assert isinstance(raised.value, FormatError)
