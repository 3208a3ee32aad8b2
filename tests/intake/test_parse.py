"""The pure half of intake: what is extracted from a record for the store's indexes."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.formats import load_osv_yaml
from clearinghouse.intake.parse import SUMMARY_CHARS, _shorten, record_from_osv


@given(st.text(max_size=600), st.integers(min_value=2, max_value=400))
def test_shortened_text_fits_and_is_a_prefix(text: str, limit: int) -> None:
    short = _shorten(text, limit)
    assert len(short) <= limit
    if short == text:
        assert len(text) <= limit
    else:
        assert short.endswith("\u2026")
        assert text.startswith(short[:-1])


def test_a_record_without_summary_takes_the_first_line_of_its_details(shared_data: Path) -> None:
    for path in sorted((shared_data / "osv" / "pypi").rglob("*.yaml"))[:300]:
        document = load_osv_yaml(path.read_bytes(), source=str(path))
        record = record_from_osv(document, source="osv-yaml", source_file=str(path))
        assert len(record.summary) <= SUMMARY_CHARS
        if document.get("summary"):
            assert record.summary.rstrip("\u2026") in document["summary"]
        else:
            first_line = document["details"].strip().split("\n")[0]
            assert first_line.startswith(record.summary.rstrip("\u2026"))
        assert record.osv_id == document["id"]
        assert set(record.aliases) == set(document.get("aliases") or ())
