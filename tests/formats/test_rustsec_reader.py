"""RustSec advisories: every real one converts to valid OSV, with the ranges rustsec makes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from clearinghouse.formats import InvalidRecord, parse_rustsec, rustsec_to_osv, validate_osv
from clearinghouse.formats.rustsec import osv_ranges

GOLDEN = [
    "crates/abi_stable/RUSTSEC-2020-0105.md",  # plain: patched, aliases, cvss v3
    "crates/markdown/RUSTSEC-2022-0044.md",  # informational + withdrawn, two '#' headings
    "crates/libpulse-binding/RUSTSEC-2020-0055.md",  # withdrawn, unaffected '> 0'
    "crates/rustls/RUSTSEC-2024-0399.md",  # patched + unaffected, back-to-back ranges
    "crates/time/RUSTSEC-2020-0071.md",  # seven '=' unaffected versions, os
    "crates/thread-amount/RUSTSEC-2025-0125.md",  # [affected.functions] table + os
    "crates/libp2p-core/RUSTSEC-2019-0004.md",  # caret requirement
    "crates/anchor-lang/RUSTSEC-2026-0146.md",  # CVSS v4 vector
    "crates/pqcrypto-classicmceliece/RUSTSEC-2026-0167.md",  # unmaintained, patched = []
    "rust/rustdoc/CVE-2018-1000622.md",  # the Rust toolchain collection
    "rust/std/CVE-2021-28875.md",
]


def _load(shared_data: Path, relative: str):
    return parse_rustsec((shared_data / "rustsec" / relative).read_bytes(), source=relative)


def test_every_shared_advisory_parses_and_converts(shared_data: Path) -> None:
    root = shared_data / "rustsec"
    converted, failures = 0, []
    for path in sorted(root.rglob("*.md")):
        relative = str(path.relative_to(root))
        try:
            advisory = parse_rustsec(path.read_bytes(), source=relative)
            doc = rustsec_to_osv(advisory)
            validate_osv(doc, source=relative)
        except InvalidRecord as exc:
            failures.append(str(exc))
            continue
        assert doc["id"] == path.stem
        assert advisory.collection == relative.split("/")[0]
        converted += 1
    assert not failures, f"{len(failures)} advisories refused:\n" + "\n".join(failures[:50])
    assert converted > 1_200


@pytest.mark.parametrize("relative", GOLDEN)
def test_conversion_matches_golden(shared_data: Path, golden, relative: str) -> None:
    golden(f"rustsec/{Path(relative).stem}", rustsec_to_osv(_load(shared_data, relative)))


def _events(shared_data: Path, relative: str) -> list[dict[str, str]]:
    doc = rustsec_to_osv(_load(shared_data, relative))
    (affected,) = doc["affected"]
    (osv_range,) = affected["ranges"]
    assert osv_range["type"] == "SEMVER"
    return osv_range["events"]


# Ranges below were worked out by hand from the requirements, following unaffected_range.rs:
# each requirement is an unaffected interval; the affected ranges are the gaps between them.


def test_patched_only(shared_data: Path) -> None:
    # patched >= 0.9.1: everything before 0.9.1 is affected
    events = _events(shared_data, "crates/abi_stable/RUSTSEC-2020-0105.md")
    assert events == [{"introduced": "0.0.0-0"}, {"fixed": "0.9.1"}]


def test_caret_and_unaffected(shared_data: Path) -> None:
    # patched ^0.7.1 = [0.7.1, 0.8.0-0), >= 0.8.1; unaffected < 0.3
    events = _events(shared_data, "crates/libp2p-core/RUSTSEC-2019-0004.md")
    assert events == [
        {"introduced": "0.3.0"},
        {"fixed": "0.7.1"},
        {"introduced": "0.8.0-0"},
        {"fixed": "0.8.1"},
    ]


def test_two_patched_ranges(shared_data: Path) -> None:
    # patched [0.12.3, 0.13.0) and >= 0.13.1; unaffected < 0.12
    events = _events(shared_data, "crates/tokio-rustls/RUSTSEC-2020-0019.md")
    assert events == [
        {"introduced": "0.12.0"},
        {"fixed": "0.12.3"},
        {"introduced": "0.13.0"},
        {"fixed": "0.13.1"},
    ]


def test_exact_unaffected_versions(shared_data: Path) -> None:
    # unaffected =0.2.0 ... =0.2.6 are single points; between two of them only pre-releases
    # (0.2.1-0 up to 0.2.1) fall in a gap; patched >= 0.2.23
    events = _events(shared_data, "crates/time/RUSTSEC-2020-0071.md")
    expected = [{"introduced": "0.0.0-0"}, {"fixed": "0.2.0"}]
    for patch in range(1, 7):
        expected += [{"introduced": f"0.2.{patch}-0"}, {"fixed": f"0.2.{patch}"}]
    expected += [{"introduced": "0.2.7-0"}, {"fixed": "0.2.23"}]
    assert events == expected


def test_back_to_back_unaffected_ranges_keep_rustsecs_empty_range(shared_data: Path) -> None:
    # unaffected < 0.23 and [0.23, 0.23.13) touch: rustsec does not coalesce them and emits
    # the empty range [0.23.0, 0.23.0); then 0.23.13 up to the patched 0.23.18
    events = _events(shared_data, "crates/rustls/RUSTSEC-2024-0399.md")
    assert events == [
        {"introduced": "0.23.0"},
        {"fixed": "0.23.0"},
        {"introduced": "0.23.13"},
        {"fixed": "0.23.18"},
    ]


def test_greater_than_zero(shared_data: Path) -> None:
    # unaffected > 0 = (0.0.0, inf): only 0.0.0 and its pre-releases are affected
    events = _events(shared_data, "crates/libpulse-binding/RUSTSEC-2020-0055.md")
    assert events == [{"introduced": "0.0.0-0"}, {"fixed": "0.0.1-0"}]


@pytest.mark.parametrize(
    ("patched", "unaffected", "expected"),
    [
        ([], [], [(None, None)]),
        (["^0.0.3"], [], [(None, "0.0.3"), ("0.0.4-0", None)]),
        (["^0.0"], [], [(None, "0.0.0"), ("0.1.0-0", None)]),
        (["^1"], [], [(None, "1.0.0"), ("2.0.0-0", None)]),
        (["~1.2"], [], [(None, "1.2.0"), ("1.3.0-0", None)]),
        (["~1"], [], [(None, "1.0.0"), ("2.0.0-0", None)]),
        (["1.2.3"], [], [(None, "1.2.3"), ("2.0.0-0", None)]),  # bare = caret in Cargo
        (["> 1.2.3-alpha"], [], [(None, "1.2.3-alpha.0")]),
        (["> 1.2.3"], [], [(None, "1.2.4-0")]),
        ([">= 2.0.0"], ["<= 1.0.0"], [("1.0.1-0", "2.0.0")]),
        ([">= 1.5.0+build.7"], [], [(None, "1.5.0")]),
    ],
)
def test_requirements_to_ranges(patched, unaffected, expected) -> None:
    got = [
        (None if a is None else str(a), None if b is None else str(b))
        for a, b in osv_ranges(patched, unaffected)
    ]
    assert got == expected


ADVISORY = """```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "demo"
date = "2099-01-02"

[versions]
patched = {patched}
```

# Title

Body.
"""


def _advisory(patched: str = '[">= 1.0.0"]') -> bytes:
    return ADVISORY.replace("{patched}", patched).encode()


def test_minimal_advisory() -> None:
    advisory = parse_rustsec(_advisory(), source="crates/demo/RUSTSEC-2099-0001.md")
    assert advisory.title == "Title"
    assert advisory.description == "Body."
    assert advisory.date == date(2099, 1, 2)
    assert advisory.collection == "crates"
    doc = rustsec_to_osv(advisory)
    assert doc["modified"] == doc["published"] == "2099-01-02T12:00:00Z"


@pytest.mark.parametrize(
    ("data", "path", "reason"),
    [
        (b"# Title\n\nno front matter\n", "$", "```toml"),
        (b"```toml\n[advisory]\nid = 1\n", "$", "not closed"),
        (b"```toml\n[advisory\n```\n\n# T\n\nx\n", "$", "TOML"),
        (b"```toml\n[versions]\npatched = []\n```\n\n# T\n\nx\n", "$.advisory", "required"),
        (_advisory().replace(b"# Title", b"Title"), "$", "# Title"),
        (_advisory().replace(b'"2099-01-02"', b'"02/01/2099"'), "$.advisory.date", "date"),
        (_advisory().replace(b'package = "demo"', b"package = 5"), "$.advisory.package", ""),
        (_advisory('[">= 1.0.0", 7]'), "$.versions.patched[1]", ""),
        (_advisory('["1.*"]'), "$.versions.patched[0]", "wildcard"),
        (_advisory('[">= 1, < 2, < 3"]'), "$.versions.patched[0]", "too many"),
        (_advisory('[">= 1.0", ">= 1.2"]'), "$.versions", "overlapping"),
        (_advisory('["*"]'), "$.versions", "every version"),
        (_advisory('["< 1.0, > 2.0"]'), "$.versions.patched[0]", "empty"),
        (
            _advisory().replace(b"\n\n[versions]", b'\ncvss = "high"\n\n[versions]'),
            "$.advisory.cvss",
            "",
        ),
        (b"```toml\xff\n```", "$", "UTF-8"),
    ],
)
def test_invalid_advisories_name_the_path(data: bytes, path: str, reason: str) -> None:
    with pytest.raises(InvalidRecord) as caught:
        parse_rustsec(data, source="crates/demo/RUSTSEC-2099-0001.md")
    assert caught.value.path == path
    assert reason.lower() in caught.value.reason.lower()
