"""Properties: valid OSV documents validate and round-trip; junk raises only InvalidRecord."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearinghouse.formats import (
    InvalidRecord,
    dump_osv,
    load_cve5,
    load_osv_json,
    load_osv_yaml,
    parse_rustsec,
    validate_osv,
)

text = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)
ids = st.builds(
    lambda prefix, n: f"{prefix}-{n}",
    st.sampled_from(["GHSA", "PYSEC-2024", "GO-2023", "RUSTSEC-2021", "CVE-2024", "OSV"]),
    st.integers(0, 10**6),
)
timestamps = st.builds(
    lambda moment, fraction: moment.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z",
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.sampled_from(["", ".5", ".123", ".123456", ".21692"]),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=12,
)
versions = st.from_regex(r"\A[0-9]{1,3}(\.[0-9]{1,3}){0,2}\Z")


@st.composite
def ranges(draw: st.DrawFn) -> dict:
    events = [{"introduced": draw(versions)}]
    end = draw(st.sampled_from(["fixed", "last_affected", None]))
    if end:
        events.append({end: draw(versions)})
    return {"type": draw(st.sampled_from(["ECOSYSTEM", "SEMVER"])), "events": events}


affected = st.fixed_dictionaries(
    {
        "package": st.fixed_dictionaries(
            {
                "ecosystem": st.sampled_from(
                    ["PyPI", "Go", "npm", "crates.io", "Maven", "Debian:12"]
                ),
                "name": text,
            }
        ),
        "ranges": st.lists(ranges(), max_size=3),
        "versions": st.lists(versions, max_size=4),
    },
    optional={"database_specific": st.dictionaries(text, json_values, max_size=3)},
)

osv_documents = st.fixed_dictionaries(
    {"id": ids, "modified": timestamps},
    optional={
        "published": timestamps,
        "withdrawn": timestamps,
        "aliases": st.lists(ids, max_size=3),
        "related": st.lists(ids, max_size=3),
        "summary": text,
        "details": text,
        "affected": st.lists(affected, max_size=3),
        "references": st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["ADVISORY", "WEB", "FIX", "REPORT"]),
                    "url": st.just("https://example.org/a"),
                }
            ),
            max_size=3,
        ),
        "database_specific": st.dictionaries(text, json_values, max_size=4),
    },
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(osv_documents)
def test_valid_documents_validate_and_round_trip(doc: dict) -> None:
    assert validate_osv(doc) is doc
    data = dump_osv(doc)
    assert load_osv_json(data) == doc
    assert dump_osv(load_osv_json(data)) == data


@given(timestamps)
def test_generated_timestamps_parse(value: str) -> None:
    from clearinghouse.formats import parse_timestamp

    assert parse_timestamp(value).tzinfo == UTC


def _only_invalid_record(parse, data: bytes) -> None:
    with contextlib.suppress(InvalidRecord):
        parse(data)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_random_bytes_raise_only_invalid_record(data: bytes) -> None:
    for parse in (load_osv_json, load_osv_yaml, parse_rustsec, load_cve5):
        _only_invalid_record(parse, data)


@settings(max_examples=300)
@given(st.text(st.sampled_from('{}[]:,"-?&*!|>#\n \tabc019.%@`'), max_size=80))
def test_structured_junk_raises_only_invalid_record(junk: str) -> None:
    data = junk.encode()
    for parse in (load_osv_json, load_osv_yaml, load_cve5):
        _only_invalid_record(parse, data)
    _only_invalid_record(parse_rustsec, b"```toml\n" + data + b"\n```\n\n# T\n\nbody\n")
    _only_invalid_record(parse_rustsec, b"```toml\n[advisory]\n" + data + b"\n```\n\n# T\n\nb\n")


@settings(max_examples=300)
@given(st.lists(st.text(st.sampled_from("<>=^~*., 0123-+abx"), max_size=14), max_size=4))
def test_random_requirements_raise_only_invalid_record(requirements: list[str]) -> None:
    import json

    data = (
        '```toml\n[advisory]\nid = "RUSTSEC-2099-0001"\npackage = "p"\ndate = "2099-01-01"\n'
        f"[versions]\npatched = {json.dumps(requirements)}\n```\n\n# T\n\nbody\n"
    ).encode()
    try:
        advisory = parse_rustsec(data)
    except InvalidRecord:
        return
    from clearinghouse.formats import rustsec_to_osv

    validate_osv(rustsec_to_osv(advisory))
