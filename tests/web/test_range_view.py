"""How OSV range events become the rows of the affected-ranges table (no browser needed)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.vulnerabilities.pages import range_intervals

versions = st.text(alphabet="0123456789.abrc", min_size=1, max_size=8)
closing = st.sampled_from(["fixed", "last_affected", None])


@given(st.lists(st.tuples(versions, closing, versions), max_size=6))
def test_each_introduced_event_opens_one_row(pairs: list[tuple[str, str | None, str]]) -> None:
    events: list[dict[str, str]] = []
    for introduced, kind, end in pairs:
        events.append({"introduced": introduced})
        if kind:
            events.append({kind: end})
    rows = range_intervals(events)
    assert len(rows) == len(pairs)
    for row, (introduced, kind, end) in zip(rows, pairs, strict=True):
        assert row["introduced"] == introduced
        assert row["fixed"] == (end if kind == "fixed" else None)
        assert row["last_affected"] == (end if kind == "last_affected" else None)


def test_real_shapes() -> None:
    # pyspark's PYSEC-2022-236, as published.
    events = [
        {"introduced": "0"},
        {"fixed": "3.1.1"},
        {"introduced": "3.2.0"},
        {"fixed": "3.2.2"},
    ]
    assert [(r["introduced"], r["fixed"]) for r in range_intervals(events)] == [
        ("0", "3.1.1"),
        ("3.2.0", "3.2.2"),
    ]
    # A limit bounds the row it belongs to without closing it; a lone fix gets a row.
    assert range_intervals([{"introduced": "1.0"}, {"limit": "2.0"}]) == [
        {"introduced": "1.0", "fixed": None, "last_affected": None, "limit": "2.0"}
    ]
    assert range_intervals([{"fixed": "abc"}]) == [
        {"introduced": None, "fixed": "abc", "last_affected": None, "limit": None}
    ]
