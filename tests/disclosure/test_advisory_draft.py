"""The advisory a case produces: an OSV record the schema accepts, and text that stays text."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from clearinghouse.disclosure.advisory_draft import (
    AdvisoryFacts,
    VendorStatement,
    draft,
    markdown_text,
    osv_record,
)
from clearinghouse.disclosure.errors import InvalidCaseField
from clearinghouse.formats import validate_osv
from clearinghouse.vulnerabilities.severity import record_severity

NOW = datetime(2026, 9, 1, 12, 30, tzinfo=UTC)
HOSTILE = (
    "<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(2)> | &amp;"
)


def facts(**changes: object) -> AdvisoryFacts:
    base: dict[str, object] = {
        "case_id": 7,
        "title": "Heap overflow in frame decoding",
        "summary": "Remote code execution through one frame.",
        "description": "A crafted frame overflows the decoder's buffer.\n\nSecond paragraph.",
        "package_ecosystem": "PyPI",
        "package_name": "pymodbus",
        "affected_versions": ">=3.0, <3.6.9",
        "cwe": "CWE-787",
        "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "severity": "CRITICAL",
        "cve_id": "CVE-2026-12345",
        "tlp": "CLEAR",
        "embargo_ends_at": NOW,
        "statements": (
            VendorStatement("Acme", "fixed", "3.6.9", "Upgrade.", NOW),
            VendorStatement("Globex", "not_affected", "", "We vendor an older fork.", NOW),
        ),
    }
    base.update(changes)
    return AdvisoryFacts(**base)  # type: ignore[arg-type]


def test_the_osv_record_passes_the_schema_and_says_what_the_case_says() -> None:
    record = osv_record(facts(), now=NOW)
    assert validate_osv(record) is record
    assert record["id"] == "x_CLEARINGHOUSE-CASE-7"
    assert record["modified"] == record["published"] == "2026-09-01T12:30:00Z"
    assert record["aliases"] == ["CVE-2026-12345"]
    assert record["severity"] == [{"type": "CVSS_V3", "score": facts().cvss_vector}]
    assert record_severity(record) == "CRITICAL"  # the store's own reading agrees
    assert record["affected"] == [
        {
            "package": {"ecosystem": "PyPI", "name": "pymodbus"},
            "ranges": [
                {"type": "ECOSYSTEM", "events": [{"introduced": "3.0"}, {"fixed": "3.6.9"}]}
            ],
            "database_specific": {"affected_versions": ">=3.0, <3.6.9"},
        }
    ]
    assert record["database_specific"] == {
        "clearinghouse_case": 7, "tlp": "CLEAR", "severity": "CRITICAL", "cwe_ids": ["CWE-787"],
    }  # fmt: skip
    assert "## Vendor statements" in record["details"] and "Acme" in record["details"]


def test_a_record_without_package_or_score_is_still_valid() -> None:
    bare = facts(package_ecosystem=None, package_name=None, affected_versions=None,
                 cvss_vector=None, severity=None, cve_id=None, cwe=None, statements=())  # fmt: skip
    record = osv_record(bare, now=NOW)
    assert "affected" not in record and "severity" not in record and "aliases" not in record
    v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
    assert osv_record(facts(cvss_vector=v4), now=NOW)["severity"][0]["type"] == "CVSS_V4"
    with pytest.raises(InvalidCaseField):
        osv_record(facts(affected_versions=">1.0"), now=NOW)


def test_markdown_and_html_keep_hostile_text_as_text() -> None:
    produced = draft(facts(description=HOSTILE, title=HOSTILE), now=NOW, final=True)
    rendered = MarkdownIt("commonmark").render(produced.markdown)
    for html in (rendered, produced.html):
        assert "<script" not in html and "<img" not in html and "<a " not in html, html
    assert "&lt;script&gt;" in produced.html
    assert (
        "Published 2026-09-01" in produced.markdown
        and "| Acme | Fixed | 3.6.9 |" in produced.markdown
    )
    assert "Not affected" in produced.html and "TLP:CLEAR" in produced.html
    preview = draft(facts(), now=NOW)
    assert preview.final is False and "Draft of" in preview.markdown


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=200))
def test_escaped_text_never_renders_as_markup_that_acts(text: str) -> None:
    rendered = MarkdownIt("commonmark").render(markdown_text(text))
    assert not re.search(r"<(a|img|script|iframe|svg|style|input|form)\b", rendered), rendered
    words = [w for w in re.findall(r"[A-Za-z0-9]{3,}", text)]
    for word in words:
        assert word in rendered  # nothing the person wrote is lost
