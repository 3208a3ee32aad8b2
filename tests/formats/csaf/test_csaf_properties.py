"""Properties of the validator over generated documents (hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from csaf_data import EXAMPLES
from csaf_documents import base_document
from hypothesis import given, settings
from hypothesis import strategies as st

from clearinghouse.formats.csaf import CsafUnreadable, load_csaf, validate_csaf
from clearinghouse.formats.csaf.walk import (
    full_product_names,
    product_definitions,
    product_references,
)

PRODUCT_IDS = st.lists(
    st.from_regex(r"CSAFPID-[0-9]{1,6}", fullmatch=True), min_size=1, max_size=8, unique=True
)
STATUSES = st.sampled_from(["known_affected", "fixed", "known_not_affected", "under_investigation"])


@st.composite
def documents_with_references(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A valid document whose products all appear in one status each of one vulnerability."""
    ids = draw(PRODUCT_IDS)
    doc = base_document()
    doc["product_tree"] = {
        "full_product_names": [{"name": f"Product {i}", "product_id": i} for i in ids]
    }
    status: dict[str, list[str]] = {}
    for product_id in ids:
        status.setdefault(draw(STATUSES), []).append(product_id)
    doc["vulnerabilities"] = [{"cve": "CVE-2024-0001", "product_status": status}]
    return doc, ids


@given(documents_with_references())
def test_every_product_defined_passes(case: tuple[dict[str, Any], list[str]]) -> None:
    doc, _ = case
    assert validate_csaf(doc).valid, [str(f) for f in validate_csaf(doc).failures]


@given(documents_with_references(), st.data())
def test_removing_a_referenced_definition_always_fails_6_1_1(
    case: tuple[dict[str, Any], list[str]], data: st.DataObject
) -> None:
    doc, ids = case
    removed = data.draw(st.sampled_from(ids))
    doc["product_tree"]["full_product_names"] = [
        product
        for product in doc["product_tree"]["full_product_names"]
        if product["product_id"] != removed
    ]
    if not doc["product_tree"]["full_product_names"]:
        del doc["product_tree"]["full_product_names"]
    failures = [f for f in validate_csaf(doc).failures if f.test_id == "6.1.1"]
    assert len(failures) == 1 and removed in failures[0].message
    status, index = failures[0].path.split("/")[-2:]
    assert doc["vulnerabilities"][0]["product_status"][status][int(index)] == removed


@given(st.permutations(range(4)))
def test_revision_history_order_in_the_array_does_not_matter(order: list[int]) -> None:
    doc = base_document()
    history = [
        {"date": f"2024-01-0{n + 1}T10:00:00.000Z", "number": str(n + 1), "summary": "Revision."}
        for n in range(4)
    ]
    doc["document"]["tracking"]["revision_history"] = [history[i] for i in order]
    doc["document"]["tracking"]["version"] = "4"
    assert validate_csaf(doc).valid


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    ["document", "product_tree", "vulnerabilities", "tracking", "product_status", "scores", "flags"]
)


@settings(max_examples=200)
@given(st.dictionaries(KEYS, JSON_VALUES, max_size=4))
def test_any_json_object_gets_a_report_not_a_crash(doc: dict[str, Any]) -> None:
    report = validate_csaf(doc)
    assert not report.valid
    assert all(f.path == "" or f.path.startswith("/") for f in report.failures)


@given(st.binary(max_size=200))
def test_load_refuses_bytes_with_its_own_error_only(data: bytes) -> None:
    try:
        loaded = load_csaf(data)
    except CsafUnreadable:
        return
    assert isinstance(loaded, dict) and loaded == json.loads(data.decode("utf-8-sig"))


def _referenced_definitions() -> list[tuple[str, str]]:
    """(example file, product id) for each product an example defines and also refers to."""
    pairs = []
    for path in sorted(EXAMPLES.rglob("*.json")) if EXAMPLES.is_dir() else []:
        doc = load_csaf(path.read_bytes())
        referenced = {product_id for _, product_id in product_references(doc)}
        pairs += [
            (str(path), product_id)
            for _, product_id in product_definitions(doc)
            if product_id in referenced
        ]
    return pairs


REFERENCED_IN_EXAMPLES = _referenced_definitions()


def test_the_examples_refer_to_products() -> None:
    assert len({name for name, _ in REFERENCED_IN_EXAMPLES}) >= 15


@settings(max_examples=60)
@given(st.sampled_from(REFERENCED_IN_EXAMPLES or [("", "")]))
def test_renaming_a_referenced_definition_in_an_example_fails_6_1_1(case: tuple[str, str]) -> None:
    name, product_id = case
    doc = load_csaf(Path(name).read_bytes())
    for _, product in full_product_names(doc):
        if product.get("product_id") == product_id:
            product["product_id"] = f"{product_id}-RENAMED"
    failures = [f for f in validate_csaf(doc).failures if f.test_id == "6.1.1"]
    assert failures and all(repr(product_id) in f.message for f in failures)
