"""The exact fingerprint of a report: package, affected range, weakness and location.

Two reports with the same fingerprint say the same thing about the same code, whatever
their words; they are linked as exact duplicates with a score of 1. Each part is put in a
canonical form first (the package name as its ecosystem compares it, range events sorted,
`CWE-079` as `CWE-79`, a location without `./` or trailing spaces), so that trivial
differences in how a reporter writes them do not hide a duplicate.

A report without a location has no fingerprint: a package, a range and a weakness alone
do not tell two flaws apart (two cross-site scripting bugs of one package are often fixed
in the same release); only its text can match it then. Even with a fingerprint, a match
counts as exact only if the texts are at least similar (`duplicates`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from clearinghouse.vulnerabilities.package_names import package_name_key

__all__ = ["normalise_cwe", "normalise_location", "report_fingerprint"]

_CWE = re.compile(r"^\s*(?:CWE)?[-_ :]?0*(\d{1,5})\s*$", re.IGNORECASE)
_EVENT_ORDER = {"introduced": 0, "fixed": 1, "last_affected": 2, "limit": 3}


def normalise_cwe(text: str | None) -> str | None:
    """`cwe-079`, `CWE 79` and `79` are all `CWE-79`; anything else is None."""
    if not text:
        return None
    match = _CWE.match(text)
    return f"CWE-{int(match.group(1))}" if match else None


def normalise_location(text: str | None) -> str | None:
    if not text or not text.strip():
        return None
    location = text.strip().replace("\\", "/")
    while location.startswith("./"):
        location = location[2:]
    return re.sub(r"/{2,}", "/", location) if "://" not in location else location


def _ranges(entry: Mapping[str, Any]) -> list[Any]:
    canonical = []
    for osv_range in entry.get("ranges") or ():
        events = sorted(
            (kind, str(value))
            for event in osv_range.get("events") or ()
            for kind, value in event.items()
            if kind in _EVENT_ORDER
        )
        canonical.append([str(osv_range.get("type", "")), events])
    return sorted(canonical)


def _packages(affected: Sequence[Mapping[str, Any]]) -> list[Any]:
    packages = []
    for entry in affected:
        package = entry.get("package") or {}
        ecosystem, name = package.get("ecosystem"), package.get("name")
        if not ecosystem or not name:
            continue
        versions = sorted({str(v) for v in entry.get("versions") or ()})
        packages.append(
            [str(ecosystem), package_name_key(str(ecosystem), str(name)), _ranges(entry), versions]
        )
    return sorted(packages)


def report_fingerprint(
    affected: Sequence[Mapping[str, Any]], *, cwe: str | None, location: str | None
) -> str | None:
    """SHA-256 (hex) of the canonical package, range, weakness and location; None without one."""
    where = normalise_location(location)
    if where is None:
        return None
    packages = _packages(affected)
    canonical = [packages, normalise_cwe(cwe), where]
    return hashlib.sha256(orjson.dumps(canonical)).hexdigest()
