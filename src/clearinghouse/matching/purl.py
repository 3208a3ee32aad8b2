"""Package identity: package URLs (purl) to OSV ecosystem and name, and back."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from packageurl import PackageURL

from clearinghouse.matching.errors import InvalidPackageUrl, UnsupportedPackage

__all__ = ["PURL_ECOSYSTEMS", "PackageRef", "parse_purl", "to_purl"]

# purl type -> OSV ecosystem (the purl-spec type list, the OSV ecosystem list).
PURL_ECOSYSTEMS: dict[str, str] = {
    "pypi": "PyPI",
    "npm": "npm",
    "golang": "Go",
    "cargo": "crates.io",
    "maven": "Maven",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "deb": "Debian",
    "apk": "Alpine",
    "pub": "Pub",
    "hex": "Hex",
    "swift": "SwiftURL",
}
_ECOSYSTEM_TYPES = {ecosystem: purl_type for purl_type, ecosystem in PURL_ECOSYSTEMS.items()}

_PEP503 = re.compile(r"[-_.]+")
# Debian release numbers by code name, for purls whose distro qualifier names the release.
_DEBIAN_RELEASES = {
    "wheezy": "7",
    "jessie": "8",
    "stretch": "9",
    "buster": "10",
    "bullseye": "11",
    "bookworm": "12",
    "trixie": "13",
    "forky": "14",
}
_DEBIAN_DISTRO = re.compile(r"(?:debian-)?(\d+)(?:\.\d+)*")
_ALPINE_DISTRO = re.compile(r"(?:alpine-)?v?(\d+\.\d+)(?:\.\d+)*")


@dataclass(frozen=True, slots=True)
class PackageRef:
    """A package as OSV names it, with the version if the purl had one."""

    ecosystem: str
    name: str
    version: str | None
    purl: str


@lru_cache(maxsize=1 << 16)
def parse_purl(text: str) -> PackageRef:
    """Read a purl into an OSV ecosystem and package name (names normalised as OSV writes them).

    Raises `InvalidPackageUrl` for text that is not a purl, `UnsupportedPackage` for a purl
    type that maps to no OSV ecosystem.
    """
    try:
        purl = PackageURL.from_string(text.strip())
    except ValueError as exc:
        raise InvalidPackageUrl(text, str(exc)) from None
    ecosystem = PURL_ECOSYSTEMS.get(purl.type)
    if ecosystem is None:
        raise UnsupportedPackage(text, purl.type)
    namespace = purl.namespace or ""
    name = purl.name
    if purl.type == "pypi":
        name = _PEP503.sub("-", name).lower()
    elif purl.type in ("npm", "golang", "composer", "swift") and namespace:
        # npm: "@scope/name"; Go: the module path; Packagist: "vendor/name".
        name = f"{namespace}/{name}"
    elif purl.type == "maven":
        if not namespace:
            raise InvalidPackageUrl(text, "a Maven purl needs the group id as its namespace")
        name = f"{namespace}:{name}"
    elif purl.type == "deb":
        ecosystem = _deb_ecosystem(namespace, purl.qualifiers.get("distro"))
    elif purl.type == "apk":
        ecosystem = _apk_ecosystem(purl.qualifiers.get("distro"))
    return PackageRef(ecosystem, name, purl.version or None, purl.to_string())


def _deb_ecosystem(namespace: str, distro: str | None) -> str:
    base = "Ubuntu" if namespace.lower() == "ubuntu" else "Debian"
    if base != "Debian" or not distro:
        return base
    distro = distro.lower()
    release = _DEBIAN_RELEASES.get(distro.removeprefix("debian-"))
    if release is None and (match := _DEBIAN_DISTRO.fullmatch(distro)):
        release = match.group(1)
    return f"Debian:{release}" if release else "Debian"


def _apk_ecosystem(distro: str | None) -> str:
    match = _ALPINE_DISTRO.fullmatch(distro.lower()) if distro else None
    return f"Alpine:v{match.group(1)}" if match else "Alpine"


def to_purl(ecosystem: str, name: str, version: str | None = None) -> str:
    """The purl of an OSV package (and version): the inverse of `parse_purl`."""
    base, _, release = ecosystem.partition(":")
    purl_type = "deb" if base == "Ubuntu" else _ECOSYSTEM_TYPES.get(base)
    if purl_type is None:
        raise UnsupportedPackage(f"{ecosystem}/{name}", base)
    namespace: str | None = None
    qualifiers: dict[str, str] = {}
    if purl_type == "pypi":
        name = _PEP503.sub("-", name).lower()
    elif purl_type in ("npm", "golang", "composer", "swift") and "/" in name:
        namespace, _, name = name.rpartition("/")
    elif purl_type == "maven":
        namespace, _, name = name.partition(":")
    elif purl_type == "deb":
        namespace = base.lower()
        if base == "Debian" and release:
            qualifiers["distro"] = f"debian-{release}"
    elif purl_type == "apk":
        namespace = "alpine"
        if release:
            qualifiers["distro"] = f"alpine-{release.removeprefix('v')}"
    purl = PackageURL(
        type=purl_type, namespace=namespace, name=name, version=version, qualifiers=qualifiers
    )
    return str(purl.to_string())
