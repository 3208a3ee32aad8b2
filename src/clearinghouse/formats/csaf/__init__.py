"""CSAF 2.0: read a document strictly and validate it (JSON schema + the mandatory tests of 6.1).

`validate_csaf(doc)` returns a `CsafReport` (`.valid`, `.failures`); `ensure_valid_csaf(doc)`
raises `CsafInvalid` instead. `load_csaf(data)` parses bytes with the size and JSON limits.
"""

from __future__ import annotations

from typing import Any

from clearinghouse.formats.csaf.loading import MAX_CSAF_BYTES, CsafUnreadable, load_csaf
from clearinghouse.formats.csaf.mandatory import MANDATORY_TESTS, mandatory_failures
from clearinghouse.formats.csaf.report import SCHEMA, CsafFailure, CsafInvalid, CsafReport
from clearinghouse.formats.csaf.schema import schema_failures


def validate_csaf(document: dict[str, Any]) -> CsafReport:
    """Every schema error (test id "schema") and every failure of the mandatory tests."""
    if not isinstance(document, dict):
        return CsafReport([CsafFailure(SCHEMA, "", "a CSAF document is a JSON object")])
    return CsafReport(schema_failures(document) + mandatory_failures(document))


def ensure_valid_csaf(document: dict[str, Any]) -> CsafReport:
    """The report of a valid document; raises `CsafInvalid` (with the report) otherwise."""
    report = validate_csaf(document)
    if not report.valid:
        raise CsafInvalid(report)
    return report


__all__ = [
    "MANDATORY_TESTS",
    "MAX_CSAF_BYTES",
    "SCHEMA",
    "CsafFailure",
    "CsafInvalid",
    "CsafReport",
    "CsafUnreadable",
    "ensure_valid_csaf",
    "load_csaf",
    "validate_csaf",
]
