"""Property tests: our orderings and range evaluation against independent references.

PyPI ranges against packaging's SpecifierSet, SemVer ordering and ranges against the
`semver` package, dpkg ordering against python-debian; and for every ecosystem, that
compare() is a total order (antisymmetric, transitive, consistent with equality and hash).
"""

from __future__ import annotations

import itertools
import os
from typing import Any

import semver
from debian.debian_support import version_compare as dpkg_compare
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st
from packaging.specifiers import SpecifierSet
from packaging.version import Version as Pep440

from clearinghouse.matching import affected_by, compare, parse_version

settings.register_profile(
    "matching", max_examples=int(os.environ.get("MATCHING_EXAMPLES", "300")), deadline=None
)
settings.load_profile("matching")

small = st.integers(min_value=0, max_value=12)

# --- generators, one per ecosystem's syntax -----------------------------------------------------


@st.composite
def pep440(draw: st.DrawFn) -> str:
    release = ".".join(str(n) for n in draw(st.lists(small, min_size=1, max_size=4)))
    pre = draw(st.sampled_from(["", "a", "b", "rc"]))
    text = release + (f"{pre}{draw(small)}" if pre else "")
    if draw(st.booleans()):
        text += f".post{draw(small)}"
    if draw(st.booleans()):
        text += f".dev{draw(small)}"
    return text


_ident_alnum = st.text("abcxyz-", min_size=1, max_size=4).filter(lambda s: not s.isdigit())
_ident = st.one_of(small.map(str), _ident_alnum)


@st.composite
def semver_text(draw: st.DrawFn) -> str:
    text = f"{draw(small)}.{draw(small)}.{draw(small)}"
    if draw(st.booleans()):
        text += "-" + ".".join(draw(st.lists(_ident, min_size=1, max_size=3)))
    if draw(st.booleans()):
        text += "+" + ".".join(draw(st.lists(_ident, min_size=1, max_size=2)))
    return text


@st.composite
def go_version(draw: st.DrawFn) -> str:
    base = f"{draw(st.sampled_from(['', 'v']))}{draw(small)}.{draw(small)}.{draw(small)}"
    kind = draw(st.sampled_from(["release", "pseudo", "pre", "incompatible"]))
    stamp = f"2019{draw(st.integers(1, 12)):02d}{draw(st.integers(10, 28))}101010"
    if kind == "pseudo":
        return f"{base}-0.{stamp}-abcdef012345"
    if kind == "pre":
        return f"{base}-{draw(_ident)}"
    return base + ("+incompatible" if kind == "incompatible" else "")


@st.composite
def debian_text(draw: st.DrawFn) -> str:
    upstream = str(draw(small)) + draw(st.text("0123456789ab.+~", max_size=6))
    text = upstream
    if draw(st.booleans()):
        text = f"{draw(st.integers(0, 3))}:{text}"
    if draw(st.booleans()):
        text += "-" + draw(st.text("0123456789ab.+~", min_size=1, max_size=4))
    return text


@st.composite
def maven_text(draw: st.DrawFn) -> str:
    # Release numbers, then qualifiers, as real artifacts are versioned. Maven's own
    # ComparableVersion is not transitive on contrived mixes such as "0.alpha.0" (a qualifier
    # between numbers, or "1.0.alpha-1"): [[1]] < [0, alpha] < [] < [[1]]; see ADR 0005.
    text = ".".join(str(n) for n in draw(st.lists(small, min_size=1, max_size=4)))
    count = draw(st.integers(0, 2))
    for index in range(count):
        qualifier = draw(
            st.sampled_from(
                [
                    "alpha",
                    "a",
                    "beta",
                    "b",
                    "m",
                    "rc",
                    "cr",
                    "SNAPSHOT",
                    "ga",
                    "final",
                    "RELEASE",
                    "sp",
                    "foo",
                    "Final",
                    "jre",
                ]
            )
        )
        last = index == count - 1
        # A release alias ("ga", "final") inside a qualifier chain is trimmed away as a null
        # and breaks transitivity in Maven itself: 1 < 1-a < 1-ga-alpha < 1.
        assume(last or qualifier.lower() not in ("ga", "final", "release"))
        text += (draw(st.sampled_from(["-", "."])) if last else "-") + qualifier
        if draw(st.booleans()):
            text += draw(st.sampled_from(["", "-"])) + str(draw(small))
    return text


@st.composite
def rubygems_text(draw: st.DrawFn) -> str:
    segments = draw(
        st.lists(st.one_of(small.map(str), st.sampled_from(["a", "pre", "rc", "b"])), max_size=5)
    )
    return ".".join([str(draw(small)), *segments])


@st.composite
def nuget_text(draw: st.DrawFn) -> str:
    text = ".".join(str(n) for n in draw(st.lists(small, min_size=1, max_size=4)))
    if draw(st.booleans()):
        text += "-" + ".".join(draw(st.lists(st.one_of(_ident, st.just("Beta")), min_size=1)))
    return text


@st.composite
def packagist_text(draw: st.DrawFn) -> str:
    text = ".".join(str(n) for n in draw(st.lists(small, min_size=1, max_size=4)))
    if draw(st.booleans()):
        text += draw(st.sampled_from(["-", "", "."])) + draw(
            st.sampled_from(["dev", "alpha", "a", "beta", "b", "RC", "rc", "pl", "p", "x"])
        )
        if draw(st.booleans()):
            text += str(draw(small))
    return draw(st.sampled_from(["", "v"])) + text


@st.composite
def alpine_text(draw: st.DrawFn) -> str:
    numbers = draw(st.lists(st.one_of(small.map(str), st.just("01")), min_size=1, max_size=3))
    text = str(draw(small)) + "".join("." + n for n in numbers[1:])
    text += draw(st.sampled_from(["", "a", "b"]))
    for _ in range(draw(st.integers(0, 2))):
        text += "_" + draw(st.sampled_from(["alpha", "beta", "pre", "rc", "git", "p"]))
        text += draw(st.sampled_from(["", "1", "2"]))
    if draw(st.booleans()):
        text += f"-r{draw(small)}"
    return text


GENERATORS: dict[str, st.SearchStrategy[str]] = {
    "PyPI": st.one_of(pep440(), st.sampled_from(["0.9-doduo", "0.7.1.fix1", "0.3m1", "trunk"])),
    "Go": go_version(),
    "npm": semver_text(),
    "crates.io": semver_text(),
    "Maven": maven_text(),
    "RubyGems": rubygems_text(),
    "NuGet": nuget_text(),
    "Packagist": packagist_text(),
    "Debian": debian_text(),
    "Alpine": alpine_text(),
}


def _sign(n: int) -> int:
    return (n > 0) - (n < 0)


# --- every ecosystem: compare() is a total order ------------------------------------------------


def _check_total_order(ecosystem: str, a: str, b: str, c: str) -> None:
    ab, bc, ac = compare(ecosystem, a, b), compare(ecosystem, b, c), compare(ecosystem, a, c)
    assert compare(ecosystem, b, a) == -ab, "antisymmetric"
    assert compare(ecosystem, a, a) == 0, "reflexive"
    if ab <= 0 and bc <= 0:
        assert ac <= 0, "transitive"
    if ab == 0 and bc == 0:
        assert ac == 0, "equality is transitive"
    if ab == 0:
        va, vb = parse_version(ecosystem, a), parse_version(ecosystem, b)
        assert va == vb
        assert hash(va) == hash(vb)


def _total_order_test(ecosystem: str) -> Any:
    generator = GENERATORS[ecosystem]

    @given(generator, generator, generator)
    def test(a: str, b: str, c: str) -> None:
        _check_total_order(ecosystem, a, b, c)

    test.__name__ = f"test_{ecosystem.replace('.', '_').lower()}_is_a_total_order"
    return test


for _ecosystem in GENERATORS:
    _test = _total_order_test(_ecosystem)
    globals()[_test.__name__] = _test


@given(st.lists(GENERATORS["Maven"], min_size=2, max_size=8))
def test_maven_sorting_is_consistent(versions: list[str]) -> None:
    # Maven's comparator is the one ordering not built on tuple keys: sort, then check pairs.
    ordered = sorted(versions, key=lambda v: parse_version("Maven", v))
    for lower, higher in itertools.pairwise(ordered):
        assert compare("Maven", lower, higher) <= 0


# --- PyPI ranges against packaging's SpecifierSet ----------------------------------------------


def _specifier_excludes_prerelease_of(version: Pep440, bound: Pep440) -> bool:
    # PEP 440: "<V" never matches a pre-release of V unless V is one; OSV ranges do.
    return (
        version.is_prerelease
        and not bound.is_prerelease
        and (
            version.epoch,
            version.release,
        )
        == (bound.epoch, bound.release)
    )


@given(st.lists(pep440(), min_size=2, max_size=6, unique=True), pep440())
@example(bounds=["0", "1"], version="0.dev0")
def test_pypi_ranges_agree_with_specifier_sets(bounds: list[str], version: str) -> None:
    ordered = sorted(bounds, key=Pep440)
    assume(len({Pep440(b) for b in ordered}) == len(ordered))
    pairs = list(zip(ordered[::2], ordered[1::2], strict=False))
    assume(pairs)
    v = Pep440(version)
    assume(not any(_specifier_excludes_prerelease_of(v, Pep440(fixed)) for _, fixed in pairs))
    events = [e for a, b in pairs for e in ({"introduced": a}, {"fixed": b})]
    entry = {
        "package": {"ecosystem": "PyPI", "name": "p"},
        "ranges": [{"type": "ECOSYSTEM", "events": events}],
    }
    # OSV's introduced "0" means "from the very first version", below even 0.dev0: no bound.
    expected = any(
        SpecifierSet(f"<{b}" if a == "0" else f">={a},<{b}").contains(v, prereleases=True)
        for a, b in pairs
    )
    assert affected_by(entry, version) is expected


# --- SemVer against the semver package ----------------------------------------------------------


@given(semver_text(), semver_text())
def test_semver_ordering_agrees_with_semver(a: str, b: str) -> None:
    expected = semver.Version.parse(a).compare(b)
    assert compare("SEMVER", a, b) == expected
    assert compare("npm", a, b) == expected
    assert compare("crates.io", a, b) == expected


@given(st.lists(semver_text(), min_size=1, max_size=6), semver_text(), st.booleans())
def test_semver_ranges_agree_with_semver(bounds: list[str], version: str, open_end: bool) -> None:
    ordered = sorted(bounds, key=semver.Version.parse)
    assume(all(semver.Version.parse(x).compare(y) < 0 for x, y in itertools.pairwise(ordered)))
    if open_end or len(ordered) % 2:
        ordered = ordered if len(ordered) % 2 else ordered[:-1]
    pairs = [
        (ordered[i], ordered[i + 1] if i + 1 < len(ordered) else None)
        for i in range(0, len(ordered), 2)
    ]
    events: list[dict[str, str]] = []
    for introduced, fixed in pairs:
        events.append({"introduced": introduced})
        if fixed is not None:
            events.append({"fixed": fixed})
    entry = {
        "package": {"ecosystem": "crates.io", "name": "c"},
        "ranges": [{"type": "SEMVER", "events": events}],
    }
    v = semver.Version.parse(version)
    expected = any(
        v.compare(introduced) >= 0 and (fixed is None or v.compare(fixed) < 0)
        for introduced, fixed in pairs
    )
    assert affected_by(entry, version) is expected


# --- dpkg against python-debian -------------------------------------------------------------------


@given(debian_text(), debian_text())
def test_debian_ordering_agrees_with_python_debian(a: str, b: str) -> None:
    assert compare("Debian", a, b) == _sign(dpkg_compare(a, b))
