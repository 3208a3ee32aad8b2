"""The SARIF 2.1.0 reader: one finding per result, validated against the OASIS schema."""

from __future__ import annotations

import contextlib
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats.errors import InvalidRecord
from clearinghouse.formats.sarif_results import read_sarif_results

GOLDEN = Path(__file__).resolve().parents[1] / "formats" / "golden" / "sarif" / "shop-backend.json"

# The shape CodeQL writes: rules with CWE tags and message strings, results by rule index.
CODEQL_LIKE = {
    "version": "2.1.0",
    "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
    "runs": [
        {
            "tool": {
                "driver": {
                    "name": "CodeQL",
                    "semanticVersion": "2.17.0",
                    "rules": [
                        {
                            "id": "py/sql-injection",
                            "name": "SqlInjection",
                            "shortDescription": {"text": "SQL query built from user input"},
                            "fullDescription": {"text": "Building a SQL query from input."},
                            "messageStrings": {"default": {"text": "Query built from {0}."}},
                            "properties": {
                                "tags": ["security", "external/cwe/cwe-089"],
                                "security-severity": "8.8",
                            },
                        }
                    ],
                }
            },
            "automationDetails": {"id": "nightly/2026-07-01"},
            "results": [
                {
                    "ruleIndex": 0,
                    "message": {"id": "default", "arguments": ["a request parameter"]},
                    "locations": [
                        {
                            "physicalLocation": {
                                "artifactLocation": {"uri": "app/views.py"},
                                "region": {"startLine": 42},
                            }
                        }
                    ],
                    "partialFingerprints": {"primaryLocationLineHash": "abc:1"},
                },
                {
                    "ruleId": "py/sql-injection",
                    "message": {"text": "Suppressed by the team."},
                    "suppressions": [{"kind": "inSource"}],
                },
            ],
        }
    ],
}


def test_codeql_style_results_read_with_rule_text_cwe_and_location() -> None:
    results = read_sarif_results(orjson.dumps(CODEQL_LIKE), source="codeql.sarif")
    assert len(results) == 1  # the suppressed result is left out
    result = results[0]
    assert result.title == "SQL query built from user input"
    assert result.message == "Query built from a request parameter."
    assert result.cwes == ("CWE-89",)
    assert result.location == "app/views.py:42"
    assert result.security_severity == 8.8
    assert (result.tool_name, result.tool_version) == ("CodeQL", "2.17.0")
    assert result.run_id == "nightly/2026-07-01"
    assert result.fingerprints == {"primaryLocationLineHash": "abc:1"}


def test_our_own_scan_log_reads_back_with_packages() -> None:
    results = read_sarif_results(GOLDEN.read_bytes(), source=GOLDEN.name)
    log = orjson.loads(GOLDEN.read_bytes())
    # The result the SBOM's own VEX statement rules out carries an accepted suppression.
    kept = [r for r in log["runs"][0]["results"] if not r.get("suppressions")]
    assert len(results) == len(kept) < len(log["runs"][0]["results"])
    first = results[0]
    assert (first.ecosystem, first.package, first.version) == ("PyPI", "apache-skywalking", "0.3.0")
    assert "CVE-2020-13921" in first.identifiers
    assert first.location == "deploy/sbom.cdx.json:1"


@pytest.mark.parametrize(
    ("log", "path", "reason"),
    [
        ({"version": "2.0.0", "runs": []}, "$.version", "only SARIF version 2.1.0"),
        ({"version": "2.1.0", "runs": [{"tool": {"driver": {}}}]}, "$.runs[0].tool.driver", ""),
        ({"version": "2.1.0"}, "$", ""),
        (
            {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{}]}]},
            "$.runs[0].results[0]",
            "",
        ),
    ],
)
def test_invalid_logs_are_refused_naming_the_place(log: object, path: str, reason: str) -> None:
    with pytest.raises(InvalidRecord) as refused:
        read_sarif_results(orjson.dumps(log), source="bad.sarif")
    assert refused.value.source == "bad.sarif"
    assert refused.value.path.startswith(path)
    assert reason in refused.value.reason


def test_not_json_is_refused() -> None:
    with pytest.raises(InvalidRecord, match="not valid JSON"):
        read_sarif_results(b"\xff{", source="x.sarif")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_read_or_refused_cleanly(data: bytes) -> None:
    with contextlib.suppress(InvalidRecord):
        read_sarif_results(data)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(st.fixed_dictionaries({"version": st.just("2.1.0"), "runs": st.lists(_json, max_size=2)}))
def test_schema_shaped_garbage_is_read_or_refused_cleanly(log: dict[str, object]) -> None:
    with contextlib.suppress(InvalidRecord):
        read_sarif_results(orjson.dumps(log))
