"""CVSS scores match FIRST's published examples, through the `cvss` library; bad vectors are refused
with an error that names what is wrong.

Where the vectors and scores come from (vectors rebuilt from each example's metric table):
- CVSS v3.1: FIRST, "Common Vulnerability Scoring System version 3.1: Examples", revision 2,
  https://www.first.org/cvss/v3-1/cvss-v31-examples_r2.pdf (sections 3 to 14).
- CVSS v4.0: FIRST, "Common Vulnerability Scoring System version 4.0 Examples", document
  version 1.4.1, https://www.first.org/cvss/v4-0/cvss-v40-examples.pdf (the "New metric
  coverage" and "Revised Metric" sections), which prints the vectors themselves.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.reports.errors import InvalidCvssVector
from clearinghouse.reports.scoring import score_cvss

FIRST_V31_EXAMPLES = [
    ("CVE-2013-0375", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4, "MEDIUM"),
    ("CVE-2014-3566", "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1, "LOW"),
    ("CVE-2012-1516", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9, "CRITICAL"),
    ("CVE-2009-0783", "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2, "MEDIUM"),
    ("CVE-2012-0384", "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", 7.2, "HIGH"),
    ("CVE-2015-1098", "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8, "HIGH"),
    ("CVE-2014-0160", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5, "HIGH"),
    ("CVE-2014-6271", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL"),
    ("CVE-2008-1447", "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8, "MEDIUM"),
    ("CVE-2014-2005", "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8, "MEDIUM"),
    ("CVE-2010-0467", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8, "MEDIUM"),
    ("CVE-2012-1342", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:N/I:L/A:N", 5.8, "MEDIUM"),
]

FIRST_V40_EXAMPLES = [
    ("CVE-2022-41741", "CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.3),
    ("CVE-2020-3549", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 7.7),
    (
        "CVE-2020-3549 (base + threat)",
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
        5.2,
    ),
    ("CVE-2023-3089", "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N", 8.3),
    (
        "CVE-2023-3089 (base + environmental)",
        "CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/SC:N/SI:N/SA:N"
        "/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/MVA:L",
        8.1,
    ),
    ("CVE-2021-44714", "CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", 4.6),
    ("CVE-2022-21830", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 5.1),
    ("CVE-2022-22186", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:N", 6.9),
]


@pytest.mark.parametrize(("example", "vector", "score", "severity"), FIRST_V31_EXAMPLES)
def test_cvss_31_scores_match_first_examples(
    example: str, vector: str, score: float, severity: str
) -> None:
    scored = score_cvss(vector)
    assert (scored.version, scored.base_score, scored.severity) == ("3.1", score, severity)


@pytest.mark.parametrize(("example", "vector", "score"), FIRST_V40_EXAMPLES)
def test_cvss_40_scores_match_first_examples(example: str, vector: str, score: float) -> None:
    scored = score_cvss(vector)
    assert scored.version == "4.0"
    assert scored.base_score == score


@pytest.mark.parametrize(
    ("vector", "named"),
    [
        ("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 'Unknown value "X" in field "AV:X"'),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", 'Missing mandatory metrics "A"'),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/A:H", 'Duplicate metric "A"'),
        ("CVSS:4.0/AV:N", "Missing mandatory metrics"),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:L/SI:L/SA:Q", '"SA:Q"'),
        ("AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "must start with CVSS:3.1/ or CVSS:4.0/"),
        ("CVSS:2.0/AV:N", "must start with CVSS:3.1/ or CVSS:4.0/"),
        ("", "must start with"),
    ],
)
def test_an_invalid_vector_gets_an_error_naming_what_is_wrong(vector: str, named: str) -> None:
    with pytest.raises(InvalidCvssVector) as refused:
        score_cvss(vector)
    assert named in str(refused.value)
    assert refused.value.status_code == 422


@given(st.text(max_size=250))
def test_any_text_is_scored_or_refused_cleanly(text: str) -> None:
    try:
        scored = score_cvss(text)
    except InvalidCvssVector:
        return
    assert 0.0 <= scored.base_score <= 10.0
