"""Package names as each ecosystem compares them, so that a search for `Django` finds `django`."""

from __future__ import annotations

import re
from functools import lru_cache

_PYPI_SEPARATORS = re.compile(r"[-_.]+")


# Pure and called for every component of every scan and every record of every ingest; the
# same names recur (a SBOM's packages are the store's popular ones).
@lru_cache(maxsize=65536)
def package_name_key(ecosystem: str, name: str) -> str:
    """The comparison key of a package name within its ecosystem.

    PyPI: PEP 503 normalisation. crates.io treats `-` and `_` alike and ignores case.
    npm, RubyGems, NuGet, Packagist: case-insensitive. Go module paths and Maven
    coordinates are case-sensitive and are kept as they are.
    """
    base = ecosystem.split(":", 1)[0]
    if base == "PyPI":
        return _PYPI_SEPARATORS.sub("-", name).lower()
    if base == "crates.io":
        return name.replace("_", "-").lower()
    if base in ("npm", "RubyGems", "NuGet", "Packagist", "Pub", "Hex"):
        return name.lower()
    return name
