"""The mandatory tests of CSAF 2.0 section 6.1, in one table keyed by test id."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from clearinghouse.formats.csaf import (
    cvss,
    document,
    products,
    profiles,
    revisions,
    vulnerabilities,
)
from clearinghouse.formats.csaf.report import CsafFailure, pointer
from clearinghouse.formats.csaf.walk import Path

MandatoryTest = Callable[[dict[str, Any]], Iterator[tuple[Path, str]]]

MANDATORY_TESTS: dict[str, MandatoryTest] = {
    "6.1.1": products.missing_product_id_definitions,
    "6.1.2": products.multiple_product_id_definitions,
    "6.1.3": products.circular_product_id_definitions,
    "6.1.4": products.missing_group_id_definitions,
    "6.1.5": products.multiple_group_id_definitions,
    "6.1.6": products.contradicting_product_status,
    "6.1.7": cvss.multiple_scores_per_product,
    "6.1.8": cvss.invalid_cvss,
    "6.1.9": cvss.invalid_cvss_computation,
    "6.1.10": cvss.inconsistent_cvss,
    "6.1.11": vulnerabilities.invalid_cwe,
    "6.1.12": document.invalid_language_tags,
    "6.1.13": products.invalid_purls,
    "6.1.14": revisions.unsorted_revision_history,
    "6.1.15": document.translator_without_source_language,
    "6.1.16": revisions.latest_document_version,
    "6.1.17": revisions.draft_status_required,
    "6.1.18": revisions.unreleased_revisions_in_released_document,
    "6.1.19": revisions.prerelease_revisions,
    "6.1.20": revisions.prerelease_version_in_released_document,
    "6.1.21": revisions.missing_revisions,
    "6.1.22": revisions.duplicate_revisions,
    "6.1.23": vulnerabilities.multiple_uses_of_cve,
    "6.1.24": vulnerabilities.multiple_involvement_definitions,
    "6.1.25": products.multiple_hash_algorithms,
    "6.1.26": document.prohibited_category_name,
    "6.1.27.1": profiles.profile_document_notes,
    "6.1.27.2": profiles.profile_document_references,
    "6.1.27.3": profiles.profile_no_vulnerabilities,
    "6.1.27.4": profiles.profile_product_tree,
    "6.1.27.5": profiles.profile_vulnerability_notes,
    "6.1.27.6": profiles.profile_product_status,
    "6.1.27.7": profiles.profile_vex_product_status,
    "6.1.27.8": profiles.profile_vulnerability_id,
    "6.1.27.9": profiles.profile_impact_statement,
    "6.1.27.10": profiles.profile_action_statement,
    "6.1.27.11": profiles.profile_vulnerabilities,
    "6.1.28": document.translation_into_source_language,
    "6.1.29": vulnerabilities.remediations_without_product_reference,
    "6.1.30": revisions.mixed_versioning,
    "6.1.31": products.version_ranges_in_product_version,
    "6.1.32": vulnerabilities.flags_without_product_reference,
    "6.1.33": vulnerabilities.multiple_flags_per_product,
}


def mandatory_failures(doc: dict[str, Any]) -> list[CsafFailure]:
    """The failures of every mandatory test, in test order."""
    return [
        CsafFailure(test_id, pointer(*path), message)
        for test_id, test in MANDATORY_TESTS.items()
        for path, message in test(doc)
    ]
