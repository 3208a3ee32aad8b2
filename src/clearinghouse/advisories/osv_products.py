"""An OSV record's `affected[]` as CSAF products: vers ranges (known_affected), fixed versions.

Pure. Each `affected[]` entry becomes one `product_version_range` product whose name is a
vers string (https://github.com/package-url/vers-spec) built from the ECOSYSTEM and SEMVER
ranges (`vers:pypi/>=1.0|<1.5|>=2.0|<2.5`), intervals ordered by the matcher's own
ecosystem ordering; GIT ranges have no vers form and are left out (the package itself then
stands for them). Each `fixed` event becomes a `product_version` product with status fixed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from clearinghouse.advisories.csaf_document import Product
from clearinghouse.disclosure.affected import VERS_SCHEMES
from clearinghouse.matching.errors import InvalidVersion, MatchingError, UnsupportedEcosystem
from clearinghouse.matching.purl import to_purl
from clearinghouse.matching.versions import parse_version

_VERSIONED = ("ECOSYSTEM", "SEMVER")
_MAX_LISTED_VERSIONS = 50


@dataclass(frozen=True)
class Interval:
    introduced: str  # "0": from the first version
    closing: str | None = None  # "<" (fixed) or "<=" (last_affected); None: open
    bound: str | None = None


def vers_scheme(ecosystem: str) -> str:
    base = ecosystem.partition(":")[0]
    return VERS_SCHEMES.get(base) or "".join(c for c in base.lower() if c.isalnum()) or "generic"


def _vers_version(text: str) -> str:
    # vers reserves "|", "<", ">", "=", "!" and "*": percent-encode them (and "%").
    return quote(text, safe="+-._~:@^")


def intervals(ranges: list[dict[str, Any]]) -> list[Interval]:
    """The affected intervals of the versioned ranges, in event order."""
    found: list[Interval] = []
    for entry in ranges:
        if entry.get("type") not in _VERSIONED:
            continue
        opened: str | None = None
        for event in entry.get("events") or ():
            if "introduced" in event:
                if opened is not None:
                    found.append(Interval(opened))
                opened = str(event["introduced"])
            elif "fixed" in event or "last_affected" in event:
                closing = "<" if "fixed" in event else "<="
                bound = str(event.get("fixed", event.get("last_affected")))
                found.append(Interval(opened or "0", closing, bound))
                opened = None
        if opened is not None:
            found.append(Interval(opened))
    return found


def _ordered(ecosystem: str, found: list[Interval]) -> list[Interval]:
    def key(interval: Interval) -> Any:
        text = interval.introduced if interval.introduced != "0" else None
        return (text is not None, parse_version(ecosystem, text) if text else None)

    try:
        return sorted(found, key=key)
    except (InvalidVersion, UnsupportedEcosystem, TypeError):
        return found  # an ordering we lack: keep the record's own order


def vers_of(ecosystem: str, found: list[Interval]) -> str | None:
    """The vers string of `found` intervals; None when there are none."""
    if not found:
        return None
    scheme = vers_scheme(ecosystem)
    if any(i.introduced == "0" and i.closing is None for i in found):
        return f"vers:{scheme}/*"
    constraints: list[str] = []
    for interval in _ordered(ecosystem, found):
        if interval.introduced != "0":
            constraints.append(f">={_vers_version(interval.introduced)}")
        if interval.closing and interval.bound:
            constraints.append(f"{interval.closing}{_vers_version(interval.bound)}")
    return f"vers:{scheme}/" + "|".join(constraints)


def _package_purl(ecosystem: str, name: str, version: str | None = None) -> str | None:
    try:
        return to_purl(ecosystem, name, version)
    except (MatchingError, ValueError):  # an ecosystem without a purl type: the product has none
        return None


def products_of_affected(entry: dict[str, Any], *, advisory_url: str | None) -> list[Product]:
    """The products of one OSV `affected[]` entry (at least one, the package itself)."""
    package = entry.get("package") or {}
    ecosystem = str(package.get("ecosystem") or "")
    name = str(package.get("name") or "")
    if not ecosystem or not name:
        return []
    vendor = ecosystem.partition(":")[0]
    purl = _package_purl(ecosystem, name)
    found = intervals(list(entry.get("ranges") or ()))
    fixed = list(dict.fromkeys(i.bound for i in found if i.closing == "<" and i.bound))
    version_range = vers_of(ecosystem, found)
    if version_range is None:
        listed = [str(v) for v in entry.get("versions") or ()][:_MAX_LISTED_VERSIONS]
        if listed:
            scheme = vers_scheme(ecosystem)
            version_range = f"vers:{scheme}/" + "|".join(_vers_version(v) for v in listed)
    remediation = ""
    if fixed:
        remediation = f"Upgrade {name} to {' or '.join(fixed)} or later (the fixed versions)."
    products = [
        Product(
            vendor=vendor,
            name=name,
            status="known_affected",
            purl=purl,
            version_range=version_range,
            remediation=remediation,
            remediation_url=advisory_url if remediation else None,
        )
    ]
    for version in fixed:
        products.append(
            Product(
                vendor=vendor,
                name=name,
                status="fixed",
                purl=_package_purl(ecosystem, name, version),
                version=version,
            )
        )
    return products


def products_of_record(document: dict[str, Any], *, advisory_url: str | None) -> list[Product]:
    products: list[Product] = []
    for entry in document.get("affected") or ():
        if isinstance(entry, dict):
            products.extend(products_of_affected(entry, advisory_url=advisory_url))
    return products
