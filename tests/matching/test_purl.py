"""Package URLs: every mapped type, real purls from the shared data, and the way back."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearinghouse.formats import load_osv_yaml
from clearinghouse.matching import (
    InvalidPackageUrl,
    PackageRef,
    UnsupportedPackage,
    parse_purl,
    to_purl,
)
from clearinghouse.vulnerabilities.package_names import package_name_key

# (purl, ecosystem, name, version). The shared data carries purls for PyPI only; the others
# are built on package names that occur in it (Go modules from golang/vulndb, crates from
# RustSec) or that the purl-spec uses as its own examples.
EXAMPLES = [
    ("pkg:pypi/Django_REST.framework@3.15.2", "PyPI", "django-rest-framework", "3.15.2"),
    ("pkg:npm/%40angular/core@16.2.1", "npm", "@angular/core", "16.2.1"),
    ("pkg:npm/lodash@4.17.20", "npm", "lodash", "4.17.20"),
    (
        "pkg:golang/github.com/gorilla/websocket@v1.4.0",
        "Go",
        "github.com/gorilla/websocket",
        "v1.4.0",
    ),
    (
        "pkg:golang/golang.org/x/net@v0.0.0-20191109021931-daa7c04131f5",
        "Go",
        "golang.org/x/net",
        "v0.0.0-20191109021931-daa7c04131f5",
    ),
    (
        "pkg:golang/google.golang.org/genproto#googleapis/api/annotations",
        "Go",
        "google.golang.org/genproto",
        None,
    ),
    ("pkg:cargo/smallvec@1.6.0", "crates.io", "smallvec", "1.6.0"),
    (
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
        "Maven",
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
    ),
    ("pkg:gem/rails@7.0.4", "RubyGems", "rails", "7.0.4"),
    ("pkg:nuget/Newtonsoft.Json@13.0.1", "NuGet", "Newtonsoft.Json", "13.0.1"),
    ("pkg:composer/laravel/framework@v9.52.0", "Packagist", "laravel/framework", "v9.52.0"),
    ("pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie", "Debian:8", "curl", "7.50.3-1"),
    (
        "pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12",
        "Debian:12",
        "openssl",
        "3.0.11-1~deb12u2",
    ),
    ("pkg:deb/debian/bash@5.2.15-2", "Debian", "bash", "5.2.15-2"),
    ("pkg:deb/ubuntu/curl@7.81.0-1ubuntu1.15", "Ubuntu", "curl", "7.81.0-1ubuntu1.15"),
    (
        "pkg:apk/alpine/curl@8.5.0-r0?arch=x86_64&distro=alpine-3.19.1",
        "Alpine:v3.19",
        "curl",
        "8.5.0-r0",
    ),
    ("pkg:apk/alpine/musl@1.2.4-r2", "Alpine", "musl", "1.2.4-r2"),
    ("pkg:pub/http@0.13.5", "Pub", "http", "0.13.5"),
    ("pkg:hex/plug@1.14.0", "Hex", "plug", "1.14.0"),
]


@pytest.mark.parametrize(("purl", "ecosystem", "name", "version"), EXAMPLES)
def test_purl_maps_to_the_osv_package(
    purl: str, ecosystem: str, name: str, version: str | None
) -> None:
    ref = parse_purl(purl)
    assert (ref.ecosystem, ref.name, ref.version) == (ecosystem, name, version)


@pytest.mark.parametrize(("purl", "ecosystem", "name", "version"), EXAMPLES)
def test_to_purl_reads_back_the_same_package(
    purl: str, ecosystem: str, name: str, version: str | None
) -> None:
    again = parse_purl(to_purl(ecosystem, name, version))
    assert (again.ecosystem, again.name, again.version) == (ecosystem, name, version)


def test_npm_scopes_are_percent_encoded() -> None:
    assert to_purl("npm", "@angular/core", "16.2.1") == "pkg:npm/%40angular/core@16.2.1"
    assert to_purl("Maven", "org.example:lib") == "pkg:maven/org.example/lib"
    assert (
        to_purl("Debian:12", "curl", "7.88.1-10")
        == "pkg:deb/debian/curl@7.88.1-10?distro=debian-12"
    )


def test_every_purl_in_the_pypi_advisories(shared_data: Path) -> None:
    seen = 0
    for path in sorted((shared_data / "osv" / "pypi").glob("**/*.yaml")):
        record = load_osv_yaml(path.read_bytes(), source=str(path))
        for affected in record["affected"]:
            package = affected["package"]
            if "purl" not in package:
                continue
            ref = parse_purl(package["purl"])
            assert ref.ecosystem == "PyPI"
            assert ref.name == package_name_key("PyPI", package["name"]), path
            assert ref.version is None
            seen += 1
    assert seen > 2000


@pytest.mark.parametrize(
    "text", ["", "django", "pkg:", "pkg:pypi", "https://pypi.org/project/django", "pkg:maven/log4j"]
)
def test_invalid_purls_are_refused_with_the_reason(text: str) -> None:
    with pytest.raises(InvalidPackageUrl) as caught:
        parse_purl(text)
    assert repr(text) in str(caught.value)


@pytest.mark.parametrize(
    "text", ["pkg:github/package-url/purl-spec@244fd47", "pkg:docker/nginx@1.25"]
)
def test_unsupported_types_say_which(text: str) -> None:
    with pytest.raises(UnsupportedPackage) as caught:
        parse_purl(text)
    assert caught.value.purl_type in str(caught.value)


def test_to_purl_refuses_an_ecosystem_with_no_purl_type() -> None:
    with pytest.raises(UnsupportedPackage):
        to_purl("Linux", "Kernel")


_name = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True)


@given(
    st.sampled_from(["PyPI", "npm", "crates.io", "RubyGems", "NuGet", "Hex", "Pub"]),
    _name,
    st.one_of(
        st.none(), st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}(\.[0-9a-z+~-]{1,5})?", fullmatch=True)
    ),
)
def test_round_trip_for_plain_names(ecosystem: str, name: str, version: str | None) -> None:
    ref = parse_purl(to_purl(ecosystem, name, version))
    assert ref == PackageRef(ecosystem, name, version, to_purl(ecosystem, name, version))
