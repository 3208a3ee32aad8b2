"""Mandatory tests of the CSAF profiles (6.1.27.1 to 6.1.27.11), each for its own categories."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from clearinghouse.formats.csaf.walk import (
    Path,
    as_dict,
    document_category,
    enumerate_dicts,
    enumerate_strings,
    group_members,
    products_covered,
    vulnerabilities,
)

Violation = tuple[Path, str]
Test = Callable[[dict[str, Any]], Iterator[Violation]]

INFORMATIONAL = "csaf_informational_advisory"
INCIDENT = "csaf_security_incident_response"
SECURITY_ADVISORY = "csaf_security_advisory"
VEX = "csaf_vex"


def _only_for(*categories: str) -> Callable[[Test], Test]:
    """Skip the test (no violation) unless the document's category is one of `categories`."""

    def decorate(test: Test) -> Test:
        def run(doc: dict[str, Any]) -> Iterator[Violation]:
            if document_category(doc) in categories:
                yield from test(doc)

        run.__name__, run.__doc__ = test.__name__, test.__doc__
        return run

    return decorate


_DOCUMENT_NOTE_CATEGORIES = frozenset({"description", "details", "general", "summary"})


@_only_for(INFORMATIONAL, INCIDENT)
def profile_document_notes(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.1: the document has a note of category description, details, general or summary."""
    notes = as_dict(doc.get("document")).get("notes")
    if not any(
        note.get("category") in _DOCUMENT_NOTE_CATEGORIES for _, note in enumerate_dicts(notes)
    ):
        yield (
            ("document", "notes"),
            "needs a note of category description, details, general or summary",
        )


@_only_for(INFORMATIONAL, INCIDENT)
def profile_document_references(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.2: the document has a reference of category external."""
    references = as_dict(doc.get("document")).get("references")
    if not any(ref.get("category") == "external" for _, ref in enumerate_dicts(references)):
        yield ("document", "references"), "needs a reference of category external"


@_only_for(INFORMATIONAL)
def profile_no_vulnerabilities(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.3: an informational advisory has no vulnerabilities element."""
    if "vulnerabilities" in doc:
        yield ("vulnerabilities",), "an informational advisory must not have vulnerabilities"


@_only_for(SECURITY_ADVISORY, VEX)
def profile_product_tree(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.4: the document has a product tree."""
    if "product_tree" not in doc:
        yield ("product_tree",), "a product tree is required"


@_only_for(SECURITY_ADVISORY, VEX)
def profile_vulnerability_notes(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.5: every vulnerability has notes."""
    for path, vulnerability in vulnerabilities(doc):
        if "notes" not in vulnerability:
            yield (*path, "notes"), "every vulnerability needs notes"


@_only_for(SECURITY_ADVISORY)
def profile_product_status(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.6: every vulnerability has a product status."""
    for path, vulnerability in vulnerabilities(doc):
        if "product_status" not in vulnerability:
            yield (*path, "product_status"), "every vulnerability needs a product_status"


_VEX_STATUSES = ("fixed", "known_affected", "known_not_affected", "under_investigation")


@_only_for(VEX)
def profile_vex_product_status(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.7: every vulnerability has fixed, affected, not affected or under investigation."""
    for path, vulnerability in vulnerabilities(doc):
        statuses = as_dict(vulnerability.get("product_status"))
        if not any(key in statuses for key in _VEX_STATUSES):
            yield (
                (*path, "product_status"),
                "needs one of fixed, known_affected, known_not_affected, under_investigation",
            )


@_only_for(VEX)
def profile_vulnerability_id(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.8: every vulnerability has a cve or ids."""
    for path, vulnerability in vulnerabilities(doc):
        if "cve" not in vulnerability and "ids" not in vulnerability:
            yield path, "every vulnerability needs a cve or ids"


@_only_for(VEX)
def profile_impact_statement(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.9: every known-not-affected product has a flag or an impact threat."""
    groups = group_members(doc)
    for path, vulnerability in vulnerabilities(doc):
        explained: set[str] = set()
        for _, flag in enumerate_dicts(vulnerability.get("flags")):
            explained |= products_covered(flag, groups)
        for _, threat in enumerate_dicts(vulnerability.get("threats")):
            if threat.get("category") == "impact":
                explained |= products_covered(threat, groups)
        statuses = as_dict(vulnerability.get("product_status"))
        for index, product_id in enumerate_strings(statuses.get("known_not_affected")):
            if product_id not in explained:
                yield (
                    (*path, "product_status", "known_not_affected", index),
                    f"product {product_id!r} is not affected but has no impact statement "
                    "(a flag or a threat of category impact)",
                )


@_only_for(VEX)
def profile_action_statement(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.10: every known-affected product has a remediation."""
    groups = group_members(doc)
    for path, vulnerability in vulnerabilities(doc):
        remedied: set[str] = set()
        for _, remediation in enumerate_dicts(vulnerability.get("remediations")):
            remedied |= products_covered(remediation, groups)
        statuses = as_dict(vulnerability.get("product_status"))
        for index, product_id in enumerate_strings(statuses.get("known_affected")):
            if product_id not in remedied:
                yield (
                    (*path, "product_status", "known_affected", index),
                    f"product {product_id!r} is affected but has no remediation (action statement)",
                )


@_only_for(SECURITY_ADVISORY, VEX)
def profile_vulnerabilities(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.27.11: the document has vulnerabilities."""
    if "vulnerabilities" not in doc:
        yield ("vulnerabilities",), "vulnerabilities are required"
