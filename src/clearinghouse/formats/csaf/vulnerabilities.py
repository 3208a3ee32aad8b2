"""Mandatory tests on `vulnerabilities`: CWE, CVE, involvements, remediations, flags."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from clearinghouse.formats.csaf.cwe import CWE_ID, KNOWN_CWE_NAMES
from clearinghouse.formats.csaf.walk import (
    Path,
    as_dict,
    enumerate_dicts,
    group_members,
    products_covered,
    vulnerabilities,
)

Violation = tuple[Path, str]


def invalid_cwe(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.11: the CWE id is well formed and, where we know it, its name is the CWE's own."""
    for path, vulnerability in vulnerabilities(doc):
        cwe = as_dict(vulnerability.get("cwe"))
        cwe_id, name = cwe.get("id"), cwe.get("name")
        if not isinstance(cwe_id, str):
            continue
        if not CWE_ID.fullmatch(cwe_id):
            yield (*path, "cwe", "id"), f"{cwe_id!r} is not a CWE id"
            continue
        known = KNOWN_CWE_NAMES.get(cwe_id)
        if known is not None and isinstance(name, str) and name != known:
            yield (*path, "cwe", "name"), f"{cwe_id} is {known!r}, not {name!r}"


def multiple_uses_of_cve(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.23: a CVE is the subject of one vulnerability item only."""
    seen: set[str] = set()
    for path, vulnerability in vulnerabilities(doc):
        cve = vulnerability.get("cve")
        if isinstance(cve, str):
            if cve in seen:
                yield (*path, "cve"), f"{cve} is already the subject of another vulnerability"
            seen.add(cve)


def _moment(value: object) -> object:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def multiple_involvement_definitions(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.24: within one vulnerability, no two involvements share party and date."""
    for path, vulnerability in vulnerabilities(doc):
        seen: set[tuple[object, object]] = set()
        for index, involvement in enumerate_dicts(vulnerability.get("involvements")):
            key = (involvement.get("party"), _moment(involvement.get("date")))
            if key in seen:
                yield (
                    (*path, "involvements", index),
                    f"party {key[0]!r} already has an involvement dated {involvement.get('date')}",
                )
            seen.add(key)


def _without_product_reference(doc: dict[str, Any], key: str, noun: str) -> Iterator[Violation]:
    for path, vulnerability in vulnerabilities(doc):
        for index, item in enumerate_dicts(vulnerability.get(key)):
            if "product_ids" not in item and "group_ids" not in item:
                yield (*path, key, index), f"the {noun} names neither product_ids nor group_ids"


def remediations_without_product_reference(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.29: every remediation says which products (or groups) it applies to."""
    yield from _without_product_reference(doc, "remediations", "remediation")


def flags_without_product_reference(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.32: every flag says which products (or groups) it applies to."""
    yield from _without_product_reference(doc, "flags", "flag")


def multiple_flags_per_product(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.33: within one vulnerability, a product has at most one flag (VEX justification)."""
    groups = group_members(doc)
    for path, vulnerability in vulnerabilities(doc):
        flagged: dict[str, int] = {}
        for index, flag in enumerate_dicts(vulnerability.get("flags")):
            for product_id in sorted(products_covered(flag, groups)):
                if product_id in flagged:
                    yield (
                        (*path, "flags", index),
                        f"product {product_id!r} already has flag {flagged[product_id]}",
                    )
                else:
                    flagged[product_id] = index
