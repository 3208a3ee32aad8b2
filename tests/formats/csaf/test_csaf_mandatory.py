"""Each mandatory test on a small document: the failure it reports, its path and its reason."""

from __future__ import annotations

from typing import Any

import pytest
from csaf_documents import base_document

from clearinghouse.formats.csaf import (
    MANDATORY_TESTS,
    CsafInvalid,
    ensure_valid_csaf,
    validate_csaf,
)
from clearinghouse.formats.csaf.language import language_tag_problem
from clearinghouse.formats.errors import FormatError


def failures_of(doc: dict[str, Any], test_id: str) -> list[tuple[str, str]]:
    return [(f.path, f.message) for f in validate_csaf(doc).failures if f.test_id == test_id]


def test_the_base_document_is_valid() -> None:
    report = ensure_valid_csaf(base_document())
    assert report.valid and report.failures == []


def test_the_table_has_every_mandatory_test_with_a_named_function() -> None:
    expected = {f"6.1.{n}" for n in range(1, 34) if n != 27} | {f"6.1.27.{n}" for n in range(1, 12)}
    assert set(MANDATORY_TESTS) == expected
    for test_id, test in MANDATORY_TESTS.items():
        assert test.__doc__ and test.__doc__.startswith(f"{test_id}:"), test_id


def test_ensure_valid_raises_a_format_error_carrying_the_report() -> None:
    doc = base_document()
    doc["vulnerabilities"][0]["product_status"]["fixed"].append("PID-Z")
    with pytest.raises(CsafInvalid) as raised:
        ensure_valid_csaf(doc)
    assert isinstance(raised.value, FormatError)
    assert raised.value.report.failed_tests == {"6.1.1"}
    assert "/vulnerabilities/0/product_status/fixed/1" in str(raised.value)


def test_a_document_that_is_not_an_object_is_a_schema_failure() -> None:
    report = validate_csaf([])  # type: ignore[arg-type]
    assert not report.valid and report.failed_tests == {"schema"}


def test_schema_failures_name_the_json_path() -> None:
    doc = base_document()
    doc["document"]["tracking"]["status"] = "published"
    assert [f.path for f in validate_csaf(doc).failures if f.test_id == "schema"] == [
        "/document/tracking/status"
    ]


def test_6_1_1_reports_every_reference_to_an_undefined_product() -> None:
    doc = base_document()
    doc["vulnerabilities"][0]["remediations"][0]["product_ids"] = ["PID-A", "PID-X"]
    doc["product_tree"]["product_groups"][0]["product_ids"].append("PID-Y")
    assert [path for path, _ in failures_of(doc, "6.1.1")] == [
        "/product_tree/product_groups/0/product_ids/2",
        "/vulnerabilities/0/remediations/0/product_ids/1",
    ]


def test_6_1_2_a_branch_product_and_a_full_product_name_share_an_id() -> None:
    doc = base_document()
    doc["product_tree"]["branches"] = [
        {
            "category": "vendor",
            "name": "Vendor",
            "branches": [
                {
                    "category": "product_name",
                    "name": "Product A",
                    "product": {"name": "Product A", "product_id": "PID-A"},
                }
            ],
        }
    ]
    assert failures_of(doc, "6.1.2") == [
        (
            "/product_tree/full_product_names/0/product_id",
            "product id 'PID-A' is defined more than once",
        )
    ]


def _relationship(product_id: str, reference: str, relates_to: str) -> dict[str, Any]:
    return {
        "category": "installed_on",
        "full_product_name": {"name": product_id, "product_id": product_id},
        "product_reference": reference,
        "relates_to_product_reference": relates_to,
    }


def test_6_1_3_finds_a_cycle_through_two_relationships() -> None:
    doc = base_document()
    doc["product_tree"]["relationships"] = [
        _relationship("PID-C", "PID-D", "PID-A"),
        _relationship("PID-D", "PID-C", "PID-B"),
    ]
    paths = [path for path, _ in failures_of(doc, "6.1.3")]
    assert paths == [
        "/product_tree/relationships/0/product_reference",
        "/product_tree/relationships/1/product_reference",
    ]


def test_6_1_3_a_chain_without_a_cycle_passes() -> None:
    doc = base_document()
    doc["product_tree"]["relationships"] = [
        _relationship("PID-C", "PID-A", "PID-B"),
        _relationship("PID-D", "PID-C", "PID-B"),
    ]
    assert failures_of(doc, "6.1.3") == []


def test_6_1_3_a_long_cyclic_chain_is_found_without_recursion() -> None:
    doc = base_document()
    length = 5000
    doc["product_tree"]["relationships"] = [
        _relationship(f"PID-R{n}", f"PID-R{(n + 1) % length}", "PID-A") for n in range(length)
    ]
    failures = failures_of(doc, "6.1.3")
    assert len(failures) == length
    assert failures[0][0] == "/product_tree/relationships/0/product_reference"


def test_6_1_6_recommended_does_not_contradict_but_fixed_and_affected_do() -> None:
    doc = base_document()
    doc["vulnerabilities"][0]["product_status"]["recommended"] = ["PID-B"]
    assert failures_of(doc, "6.1.6") == []
    doc["vulnerabilities"][0]["product_status"]["last_affected"] = ["PID-B"]
    assert failures_of(doc, "6.1.6") == [
        (
            "/vulnerabilities/0/product_status/last_affected/0",
            "product 'PID-B' is both fixed and affected",
        )
    ]


def test_6_1_7_two_v3_scores_for_one_product() -> None:
    doc = base_document()
    scores = doc["vulnerabilities"][0]["scores"]
    scores.append({**scores[0], "products": ["PID-B", "PID-A"]})
    assert [path for path, _ in failures_of(doc, "6.1.7")] == [
        "/vulnerabilities/0/scores/1/products/1"
    ]


def test_6_1_9_temporal_score_is_recomputed() -> None:
    doc = base_document()
    cvss = doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]
    cvss["vectorString"] += "/E:U/RL:O/RC:C"
    cvss["temporalScore"] = 9.8
    assert failures_of(doc, "6.1.9") == [
        (
            "/vulnerabilities/0/scores/0/cvss_v3/temporalScore",
            "temporalScore is 9.8, the vector gives 8.5",
        )
    ]
    cvss["temporalScore"] = 8.5
    cvss["temporalSeverity"] = "HIGH"
    assert failures_of(doc, "6.1.9") == []


def test_6_1_10_version_and_metrics_follow_the_vector() -> None:
    doc = base_document()
    cvss = doc["vulnerabilities"][0]["scores"][0]["cvss_v3"]
    cvss["attackVector"] = "NETWORK"
    assert failures_of(doc, "6.1.10") == []
    cvss["scope"] = "CHANGED"
    assert failures_of(doc, "6.1.10") == [
        ("/vulnerabilities/0/scores/0/cvss_v3/scope", "scope is CHANGED, the vector says UNCHANGED")
    ]


@pytest.mark.parametrize(
    "tag", ["en", "de-DE", "zh-Hant-TW", "sr-Latn-RS", "es-419", "i-klingon", "x-internal", "gsw"]
)
def test_6_1_12_accepts_valid_language_tags(tag: str) -> None:
    assert language_tag_problem(tag) is None


@pytest.mark.parametrize("tag", ["EZ", "english", "en_US", "en-", "", "qq-DE"])
def test_6_1_12_refuses_invalid_language_tags(tag: str) -> None:
    assert language_tag_problem(tag) is not None


def test_6_1_13_and_6_1_25_product_identification_helpers() -> None:
    doc = base_document()
    doc["product_tree"]["full_product_names"][0]["product_identification_helper"] = {
        "purl": "pkg:pypi/@1.0",
        "hashes": [
            {
                "filename": "a.whl",
                "file_hashes": [
                    {"algorithm": "sha256", "value": "0" * 64},
                    {"algorithm": "sha256", "value": "1" * 64},
                ],
            }
        ],
    }
    helper = "/product_tree/full_product_names/0/product_identification_helper"
    assert [path for path, _ in failures_of(doc, "6.1.13")] == [f"{helper}/purl"]
    assert [path for path, _ in failures_of(doc, "6.1.25")] == [
        f"{helper}/hashes/0/file_hashes/1/algorithm"
    ]


def test_6_1_17_and_6_1_20_a_final_document_with_a_prerelease_version() -> None:
    doc = base_document()
    doc["document"]["tracking"]["version"] = "2.0.0-rc.1"
    assert [path for path, _ in failures_of(doc, "6.1.17")] == ["/document/tracking/status"]
    assert [path for path, _ in failures_of(doc, "6.1.20")] == ["/document/tracking/version"]
    assert [path for path, _ in failures_of(doc, "6.1.30")] == [
        "/document/tracking/revision_history/0/number",
        "/document/tracking/revision_history/1/number",
    ]


def test_6_1_16_ignores_a_prerelease_part_only_in_drafts() -> None:
    doc = base_document()
    tracking = doc["document"]["tracking"]
    for item, number in zip(tracking["revision_history"], ("1.0.0", "2.0.0"), strict=True):
        item["number"] = number
    tracking["version"] = "2.0.0-rc.1"
    assert failures_of(doc, "6.1.16") != []
    tracking["status"] = "draft"
    assert failures_of(doc, "6.1.16") == []


def test_6_1_21_a_semantic_major_version_skipped() -> None:
    doc = base_document()
    tracking = doc["document"]["tracking"]
    tracking["revision_history"][1]["number"] = "3.0.0"
    tracking["revision_history"][0]["number"] = "1.0.0"
    tracking["version"] = "3.0.0"
    assert failures_of(doc, "6.1.21") == [
        (
            "/document/tracking/revision_history/1/number",
            "revision 3.0.0 follows 1.0.0: 2 is missing",
        )
    ]


def test_6_1_23_6_1_24_cve_and_involvements() -> None:
    doc = base_document()
    vulnerability = doc["vulnerabilities"][0]
    vulnerability["involvements"] = [
        {"party": "vendor", "status": "in_progress", "date": "2024-01-01T10:00:00Z"},
        {"party": "vendor", "status": "completed", "date": "2024-01-01T10:00:00.000Z"},
    ]
    doc["vulnerabilities"].append({"cve": "CVE-2024-0001"})
    assert [path for path, _ in failures_of(doc, "6.1.23")] == ["/vulnerabilities/1/cve"]
    assert [path for path, _ in failures_of(doc, "6.1.24")] == ["/vulnerabilities/0/involvements/1"]


def test_6_1_26_near_spellings_of_profile_names() -> None:
    doc = base_document()
    for category, fails in [
        ("Security Advisory", True),
        ("csaf-vex", True),
        ("vendor_notice", False),
        ("csaf_security_advisory", False),
    ]:
        doc["document"]["category"] = category
        assert bool(failures_of(doc, "6.1.26")) is fails, category


def test_6_1_33_a_flag_through_a_group_and_a_flag_by_id() -> None:
    doc = base_document()
    doc["vulnerabilities"][0]["product_status"] = {"known_not_affected": ["PID-A", "PID-B"]}
    doc["vulnerabilities"][0]["flags"] = [
        {"label": "component_not_present", "group_ids": ["GID-AB"]},
        {"label": "vulnerable_code_not_present", "product_ids": ["PID-B"]},
    ]
    assert failures_of(doc, "6.1.33") == [
        ("/vulnerabilities/0/flags/1", "product 'PID-B' already has flag 0")
    ]


def test_vex_profile_needs_impact_and_action_statements() -> None:
    doc = base_document()
    doc["document"]["category"] = "csaf_vex"
    vulnerability = doc["vulnerabilities"][0]
    vulnerability["notes"] = [{"category": "description", "text": "A flaw."}]
    vulnerability["product_status"] = {"known_affected": ["PID-A"], "known_not_affected": ["PID-B"]}
    assert [path for path, _ in failures_of(doc, "6.1.27.9")] == [
        "/vulnerabilities/0/product_status/known_not_affected/0"
    ]
    vulnerability["threats"] = [
        {"category": "impact", "details": "Not reachable.", "group_ids": ["GID-AB"]}
    ]
    vulnerability["remediations"] = []
    assert failures_of(doc, "6.1.27.9") == []
    assert [path for path, _ in failures_of(doc, "6.1.27.10")] == [
        "/vulnerabilities/0/product_status/known_affected/0"
    ]


def test_profile_tests_apply_only_to_their_category() -> None:
    doc = base_document()
    del doc["vulnerabilities"][0]["product_status"]
    assert failures_of(doc, "6.1.27.6") == []
    doc["document"]["category"] = "csaf_security_advisory"
    assert failures_of(doc, "6.1.27.6") == [
        ("/vulnerabilities/0/product_status", "every vulnerability needs a product_status")
    ]


def test_the_mandatory_tests_survive_a_document_of_the_wrong_shape() -> None:
    doc: dict[str, Any] = {
        "document": {"tracking": {"revision_history": "none", "version": 3}, "lang": 5},
        "product_tree": [],
        "vulnerabilities": [None, {"scores": [{"cvss_v3": {"vectorString": "CVSS:9/AV:N"}}]}],
    }
    report = validate_csaf(doc)
    assert "schema" in report.failed_tests and not report.valid
