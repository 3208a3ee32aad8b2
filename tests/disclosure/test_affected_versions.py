"""Affected versions as people write them, read into OSV ranges that the matcher agrees with."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.disclosure.affected import (
    OsvAffected,
    check_ecosystem,
    osv_affected,
    parse_constraints,
)
from clearinghouse.disclosure.errors import InvalidCaseField
from clearinghouse.matching.ranges import record_affects


def ranges(ecosystem: str, text: str) -> list[list[dict[str, str]]]:
    return [r["events"] for r in osv_affected(ecosystem, text).ranges]


@pytest.mark.parametrize(
    ("ecosystem", "text", "expected"),
    [
        ("PyPI", "<3.6.9", [[{"introduced": "0"}, {"fixed": "3.6.9"}]]),
        ("PyPI", ">=1.0, <2.0", [[{"introduced": "1.0"}, {"fixed": "2.0"}]]),
        ("PyPI", "<2.0,>=1.0", [[{"introduced": "1.0"}, {"fixed": "2.0"}]]),  # sorted
        ("PyPI", "vers:pypi/>=1.0|<=1.4", [[{"introduced": "1.0"}, {"last_affected": "1.4"}]]),
        (
            "npm",
            ">=2.0.0 <2.4.1 || >=3.0.0 <3.0.2",
            [
                [{"introduced": "2.0.0"}, {"fixed": "2.4.1"}],
                [{"introduced": "3.0.0"}, {"fixed": "3.0.2"}],
            ],
        ),
        ("Go", ">= 1.2.0", [[{"introduced": "1.2.0"}]]),
        ("PyPI", "*", [[{"introduced": "0"}]]),
        (
            "Hackage",
            "<0.3 , >=0.1",
            [[{"introduced": "0"}, {"fixed": "0.3"}], [{"introduced": "0.1"}]],
        ),
    ],
)
def test_comparator_lists_and_vers_become_osv_ranges(
    ecosystem: str, text: str, expected: list[list[dict[str, str]]]
) -> None:
    assert ranges(ecosystem, text) == expected


def test_exact_versions_are_listed() -> None:
    affected = osv_affected("PyPI", "1.0, ==1.1, 1.0")
    assert affected.versions == ["1.0", "1.1"] and affected.ranges == []


@pytest.mark.parametrize(
    ("ecosystem", "text", "reason"),
    [
        ("PyPI", "", "name the affected versions"),
        ("PyPI", ">1.0", "OSV ranges start at a version"),
        ("PyPI", "!=1.5", "exclusions have no OSV form"),
        ("PyPI", ">=1.0 >=2.0", "no upper bound between them"),
        ("PyPI", ">=1.0 <=1.0.0", "appears twice"),
        ("PyPI", "vers:npm/<1.0", "takes vers:pypi"),
        ("PyPI", "vers:pypi", "not a vers URI"),
        ("npm", "<not.a.version", "not a valid npm version"),
        ("PyPI", "* <2.0", "stands alone"),
        ("PyPI", "<", "needs a version"),
        ("PyPI", "x" * 5001, "at most 5000 characters"),
    ],
)
def test_what_has_no_osv_form_is_refused_with_the_field_named(
    ecosystem: str, text: str, reason: str
) -> None:
    with pytest.raises(InvalidCaseField) as caught:
        osv_affected(ecosystem, text)
    assert str(caught.value).startswith("affected_versions: ") and reason in str(caught.value)
    assert caught.value.path == "$.affected_versions"


@pytest.mark.parametrize("ecosystem", ["PyPI", "npm", "Debian:12", "crates.io", "GIT", "pypi", ""])
def test_ecosystems_are_the_osv_schema_names(ecosystem: str) -> None:
    valid = ecosystem in ("PyPI", "npm", "Debian:12", "crates.io")
    if valid:
        assert check_ecosystem(ecosystem) == ecosystem
    else:
        with pytest.raises(InvalidCaseField):
            check_ecosystem(ecosystem)


# --- properties ------------------------------------------------------------------------------

_OPS = st.sampled_from(["", "=", "==", ">=", ">", "<=", "<", "!=", "*", ","])
_VERSIONS = st.from_regex(r"[0-9]{1,2}(\.[0-9]{1,2}){0,2}", fullmatch=True)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_OPS, _VERSIONS, st.sampled_from([" ", ",", "|", "||", ""])), max_size=8))
def test_any_text_reads_or_is_refused_as_invalid_never_crashes(
    parts: list[tuple[str, str, str]],
) -> None:
    text = "".join(op + version + sep for op, version, sep in parts)
    try:
        affected = osv_affected("PyPI", text)
    except InvalidCaseField as exc:
        assert str(exc).startswith("affected_versions: ")
        return
    for osv_range in affected.ranges:
        assert "introduced" in osv_range["events"][0] and len(osv_range["events"]) <= 2


@st.composite
def intervals(draw: st.DrawFn) -> tuple[list[tuple[int, int | None, bool]], str]:
    """Disjoint intervals over 0..40 (as versions "N.0"), and how a person would write them."""
    points = sorted(draw(st.sets(st.integers(0, 40), min_size=1, max_size=8)))
    chosen: list[tuple[int, int | None, bool]] = []
    words: list[str] = []
    index = 0
    while index < len(points):
        low = points[index]
        high = points[index + 1] if index + 1 < len(points) else None
        inclusive = draw(st.booleans())
        chosen.append((low, high, inclusive))
        words.append(f">={low}.0")
        if high is not None:
            words.append(f"{'<=' if inclusive else '<'}{high}.0")
        index += 2
    order = draw(st.permutations(words))  # people write them in any order
    separator = draw(st.sampled_from([", ", " ", "|", " || "]))
    return chosen, separator.join(order)


@settings(max_examples=200, deadline=None)
@given(intervals(), st.integers(0, 45), st.sampled_from(["", ".5"]))
def test_the_matcher_reads_the_ranges_back_as_written(
    drawn: tuple[list[tuple[int, int | None, bool]], str], major: int, minor: str
) -> None:
    chosen, text = drawn
    record = {
        "affected": [
            {"package": {"ecosystem": "PyPI", "name": "pkg"}, **_entry(osv_affected("PyPI", text))}
        ]
    }
    version = f"{major}{minor or '.0'}"
    value = major + (0.5 if minor else 0.0)
    expected = any(
        low <= value and (high is None or value < high or (inclusive and value == high))
        for low, high, inclusive in chosen
    )
    assert record_affects(record, "PyPI", "pkg", version) is expected, (text, version)


def _entry(affected: OsvAffected) -> dict[str, object]:
    out: dict[str, object] = {}
    if affected.ranges:
        out["ranges"] = affected.ranges
    if affected.versions:
        out["versions"] = affected.versions
    return out


def test_vers_constraints_are_percent_decoded() -> None:
    assert parse_constraints("PyPI", "vers:pypi/<1.0%2Bcpu")[0].version == "1.0+cpu"
