"""Version orderings per ecosystem: hand-checked pairs from each ecosystem's own rules."""

from __future__ import annotations

import pytest

from clearinghouse.errors import ClearinghouseError
from clearinghouse.matching import InvalidVersion, UnsupportedEcosystem, compare, parse_version

# (ecosystem, a, expected compare(a, b), b); each line states a rule of that ecosystem.
ORDERED = [
    # PEP 440, and pre-PEP 440 releases that OSV.dev orders as LegacyVersion (below all).
    ("PyPI", "1.0", 0, "1.0.0"),
    ("PyPI", "1.0rc1", -1, "1.0"),
    ("PyPI", "1.0.post1", 1, "1.0"),
    ("PyPI", "1.0.dev0", -1, "1.0a1"),
    ("PyPI", "1!0.1", 1, "2024.1"),
    ("PyPI", "0.9-doduo", -1, "0.0.1"),
    ("PyPI", "0.3m1", -1, "0.3m2"),
    # Go: SemVer with or without "v", +incompatible ignored, pseudo-versions as pre-releases.
    ("Go", "1.2.3", 0, "v1.2.3"),
    ("Go", "v2.0.0+incompatible", 0, "2.0.0"),
    ("Go", "0.0.0-20191109021931-daa7c04131f5", -1, "0.0.1"),
    ("Go", "v0.0.0-20191109021931-daa7c04131f5", 1, "v0.0.0-20190101000000-aaaaaaaaaaaa"),
    ("Go", "v1.2.4-0.20191109021931-daa7c04131f5", -1, "v1.2.4"),
    ("Go", "v1.2.4-0.20191109021931-daa7c04131f5", 1, "v1.2.3"),
    ("Go", "v1.2", 0, "v1.2.0"),
    # SemVer 2.0 section 11 (npm, crates.io).
    ("npm", "1.0.0-alpha", -1, "1.0.0-alpha.1"),
    ("npm", "1.0.0-alpha.1", -1, "1.0.0-alpha.beta"),
    ("npm", "1.0.0-alpha.beta", -1, "1.0.0-beta"),
    ("npm", "1.0.0-beta.2", -1, "1.0.0-beta.11"),
    ("npm", "1.0.0-rc.1", -1, "1.0.0"),
    ("crates.io", "1.0.0+build.1", 0, "1.0.0+build.2"),
    ("crates.io", "0.0.0-0", -1, "0.0.0"),
    # Maven's version order specification.
    ("Maven", "1.0-alpha-1", -1, "1.0"),
    ("Maven", "1.0", 0, "1.0.0"),
    ("Maven", "1", 0, "1-ga"),
    ("Maven", "1.0.RELEASE", 0, "1.0"),
    ("Maven", "2.0.0.Final", 0, "2.0.0"),
    ("Maven", "1.0-rc1", 0, "1.0-cr1"),
    ("Maven", "1.0a1", 0, "1.0-alpha-1"),
    ("Maven", "1.0-SNAPSHOT", -1, "1.0"),
    ("Maven", "1.0-SNAPSHOT", 1, "1.0-rc1"),
    ("Maven", "1.0-sp1", 1, "1.0"),
    ("Maven", "1.0-beta", -1, "1.0-rc"),
    ("Maven", "1.foo", 0, "1-foo"),  # MNG-7644
    ("Maven", "1", -1, "1.foo"),
    ("Maven", "1-alpha", -1, "1"),
    ("Maven", "1-foo", -1, "1-1"),
    ("Maven", "1-1", -1, "1.1"),
    ("Maven", "2.17.0", -1, "2.17.1"),
    # RubyGems: Gem::Version.
    ("RubyGems", "1.0.a", -1, "1.0"),
    ("RubyGems", "1.0.0", 0, "1"),
    ("RubyGems", "1.a", 0, "1.0.a"),
    ("RubyGems", "1.0-rc1", -1, "1.0"),
    ("RubyGems", "1.a", -1, "1.a.0.1"),
    ("RubyGems", "1.a.0.b", -1, "1.a"),
    ("RubyGems", "2.0.0.rc1", 1, "1.9"),
    # NuGet: four numbers, case-insensitive labels.
    ("NuGet", "1.0.0-BETA", 0, "1.0.0-beta"),
    ("NuGet", "1.0", 0, "1.0.0.0"),
    ("NuGet", "1.0.0-beta.2", -1, "1.0.0-beta.11"),
    ("NuGet", "1.0.0.1", 1, "1.0.0"),
    ("NuGet", "1.0.0+meta", 0, "1.0.0"),
    # Packagist: PHP's version_compare.
    ("Packagist", "1.0.0-dev", -1, "1.0.0-alpha"),
    ("Packagist", "1.0.0-alpha1", -1, "1.0.0-beta"),
    ("Packagist", "1.0.0-RC1", -1, "1.0.0"),
    ("Packagist", "1.0.0", -1, "1.0.0-p1"),
    ("Packagist", "v1.0.0", 0, "1.0.0"),
    ("Packagist", "1.0.0-beta2", -1, "1.0.0-beta10"),
    ("Packagist", "1.0", -1, "1.0.0"),
    # Debian (and Ubuntu): dpkg.
    ("Debian", "1:0.1", 1, "2.0"),
    ("Debian", "1.0-1", -1, "1.0-1+b1"),
    ("Debian:12", "1.0", 0, "1.0-0"),
    ("Ubuntu:22.04:LTS", "2.30-1ubuntu1", 1, "2.30-1"),
    # Alpine: apk-tools.
    ("Alpine", "1.2.3_rc1-r1", -1, "1.2.3-r0"),
    ("Alpine", "1.2.3-r1", -1, "1.2.3-r10"),
    ("Alpine", "1.2.3_p1", 1, "1.2.3"),
    ("Alpine", "1.2.3a", 1, "1.2.3"),
    ("Alpine", "1.2.3_git20200101", 1, "1.2.3"),
    ("Alpine:v3.18", "1.2_alpha", -1, "1.2_beta"),
    ("Alpine", "1.2_beta", -1, "1.2_pre"),
    ("Alpine", "1.2.10", 1, "1.2.9"),
    ("Alpine", "1.01", -1, "1.1"),
    ("Alpine", "1.2", -1, "1.2.0"),
]

# Debian Policy 5.6.12 and dpkg's own test suite: each line is "a < b" unless marked equal.
DPKG_EXAMPLES = [
    ("1.0~rc1", -1, "1.0"),
    ("1.0~~", -1, "1.0~~a"),
    ("1.0~~a", -1, "1.0~"),
    ("1.0~", -1, "1.0"),
    ("1.0", -1, "1.0a"),
    ("1.0a", -1, "1.0+"),
    ("1.0+", -1, "1.0.1"),
    ("1.0", -1, "1.0.0"),
    ("0.9", -1, "1.0"),
    ("1:1.0", 1, "0:2.0"),
    ("1:1.0", -1, "2:0.1"),
    ("1.0-1", -1, "1.0-2"),
    ("1.0-1", -1, "1.0-1.1"),
    ("1.0-1~bpo1", -1, "1.0-1"),
    ("1.0", 0, "0:1.0"),
    ("0", 1, "0~"),
    ("0", 0, "00"),
    ("1.0-0", 0, "1.0"),
    ("2.30-1", -1, "2.30-10"),
    ("7.50.3-1", -1, "7.52.1-5+deb9u16"),
    ("1.2.3+dfsg-1", 1, "1.2.3-1"),
]


@pytest.mark.parametrize(("ecosystem", "a", "expected", "b"), ORDERED)
def test_ordering_rules(ecosystem: str, a: str, expected: int, b: str) -> None:
    assert compare(ecosystem, a, b) == expected
    assert compare(ecosystem, b, a) == -expected


@pytest.mark.parametrize(("a", "expected", "b"), DPKG_EXAMPLES)
def test_dpkg_examples(a: str, expected: int, b: str) -> None:
    assert compare("Debian", a, b) == expected


@pytest.mark.parametrize(
    ("ecosystem", "text"),
    [
        ("PyPI", ""),
        ("PyPI", "1.0 beta"),
        ("Go", "1.2.3.4"),
        ("Go", "latest"),
        ("npm", "1.0.0-"),
        ("crates.io", "^1.2"),
        ("NuGet", "1.0.0.0.0"),
        ("RubyGems", "1.0 rc"),
        ("Debian", "a:1.0"),
        ("Debian", "abc"),
        ("Alpine", "1.2.3-r"),
        ("Alpine", "1.2.3_foo"),
        ("Maven", "1.0 final"),
        ("Packagist", ""),
    ],
)
def test_invalid_versions_say_what_and_where(ecosystem: str, text: str) -> None:
    with pytest.raises(InvalidVersion) as caught:
        parse_version(ecosystem, text)
    assert caught.value.ecosystem == ecosystem
    assert caught.value.text == text
    assert isinstance(caught.value, ClearinghouseError)
    assert ecosystem in str(caught.value)


def test_unknown_ecosystem_is_an_error() -> None:
    with pytest.raises(UnsupportedEcosystem, match="CRAN"):
        parse_version("CRAN", "1.0")


def test_versions_of_different_orderings_do_not_compare() -> None:
    with pytest.raises(TypeError):
        _ = parse_version("PyPI", "1.0") < parse_version("Debian", "1.0")


def test_parsed_versions_are_cached_and_hashable() -> None:
    assert parse_version("npm", "1.2.3") is parse_version("npm", "1.2.3")
    assert len({parse_version("PyPI", "1.0"), parse_version("PyPI", "1.0.0")}) == 1
    assert len({parse_version("Maven", "1.0"), parse_version("Maven", "1.0.0")}) == 1


def test_maven_itself_is_not_transitive_on_contrived_versions() -> None:
    # Maven's ComparableVersion, which we follow, trims null items inside qualifier chains;
    # these three then form a cycle in Maven too (ADR 0005). Real artifacts do not do this.
    assert compare("Maven", "1", "1-a") == -1
    assert compare("Maven", "1-a", "1-ga-alpha") == -1
    assert compare("Maven", "1-ga-alpha", "1") == -1
