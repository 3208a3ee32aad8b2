"""Defensive accessors over a parsed CSAF document: where products, groups and statuses live.

The mandatory tests also run on documents the schema refused (a failure of 6.1.8 is reported
beside the schema errors), so nothing here trusts a type: a list that is not a list is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Path = tuple[str | int, ...]

PRODUCT_STATUSES = (
    "first_affected",
    "first_fixed",
    "fixed",
    "known_affected",
    "known_not_affected",
    "last_affected",
    "recommended",
    "under_investigation",
)


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def as_dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def enumerate_dicts(value: object) -> Iterator[tuple[int, dict[str, Any]]]:
    """(index, item) for each item of a list that is an object."""
    for index, item in enumerate(as_list(value)):
        if isinstance(item, dict):
            yield index, item


def enumerate_strings(value: object) -> Iterator[tuple[int, str]]:
    for index, item in enumerate(as_list(value)):
        if isinstance(item, str):
            yield index, item


def document_category(doc: dict[str, Any]) -> str:
    category = as_dict(doc.get("document")).get("category")
    return category if isinstance(category, str) else ""


def vulnerabilities(doc: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    for index, vulnerability in enumerate_dicts(doc.get("vulnerabilities")):
        yield ("vulnerabilities", index), vulnerability


def _branches(branches: object, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for index, branch in enumerate_dicts(branches):
        here = (*path, index)
        yield here, branch
        yield from _branches(branch.get("branches"), (*here, "branches"))


def branches(doc: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every branch of the product tree, at any depth, with its path."""
    tree = as_dict(doc.get("product_tree"))
    yield from _branches(tree.get("branches"), ("product_tree", "branches"))


def full_product_names(doc: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every full product name: in branches, in `full_product_names` and in relationships."""
    for path, branch in branches(doc):
        if isinstance(branch.get("product"), dict):
            yield (*path, "product"), branch["product"]
    tree = as_dict(doc.get("product_tree"))
    for index, product in enumerate_dicts(tree.get("full_product_names")):
        yield ("product_tree", "full_product_names", index), product
    for index, relationship in enumerate_dicts(tree.get("relationships")):
        if isinstance(relationship.get("full_product_name"), dict):
            path = ("product_tree", "relationships", index, "full_product_name")
            yield path, relationship["full_product_name"]


def product_definitions(doc: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """(path of the `product_id`, the id) for every product the tree defines."""
    for path, product in full_product_names(doc):
        if isinstance(product.get("product_id"), str):
            yield (*path, "product_id"), product["product_id"]


def product_references(doc: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """(path, id) for every place that refers to a product by its id."""
    tree = as_dict(doc.get("product_tree"))
    for index, group in enumerate_dicts(tree.get("product_groups")):
        for position, product_id in enumerate_strings(group.get("product_ids")):
            yield ("product_tree", "product_groups", index, "product_ids", position), product_id
    for index, relationship in enumerate_dicts(tree.get("relationships")):
        for key in ("product_reference", "relates_to_product_reference"):
            if isinstance(relationship.get(key), str):
                yield ("product_tree", "relationships", index, key), relationship[key]
    for path, vulnerability in vulnerabilities(doc):
        yield from status_members(path, vulnerability)
        for key, field in (
            ("remediations", "product_ids"),
            ("scores", "products"),
            ("threats", "product_ids"),
            ("flags", "product_ids"),
        ):
            for index, item in enumerate_dicts(vulnerability.get(key)):
                for position, product_id in enumerate_strings(item.get(field)):
                    yield (*path, key, index, field, position), product_id


def status_members(path: Path, vulnerability: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    """(path, id) for every product listed in any product status of one vulnerability."""
    statuses = as_dict(vulnerability.get("product_status"))
    for status in PRODUCT_STATUSES:
        for index, product_id in enumerate_strings(statuses.get(status)):
            yield (*path, "product_status", status, index), product_id


def group_definitions(doc: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    tree = as_dict(doc.get("product_tree"))
    for index, group in enumerate_dicts(tree.get("product_groups")):
        if isinstance(group.get("group_id"), str):
            yield ("product_tree", "product_groups", index, "group_id"), group["group_id"]


def group_references(doc: dict[str, Any]) -> Iterator[tuple[Path, str]]:
    for path, vulnerability in vulnerabilities(doc):
        for key in ("remediations", "threats", "flags"):
            for index, item in enumerate_dicts(vulnerability.get(key)):
                for position, group_id in enumerate_strings(item.get("group_ids")):
                    yield (*path, key, index, "group_ids", position), group_id


def group_members(doc: dict[str, Any]) -> dict[str, set[str]]:
    """Product ids of each product group, by group id."""
    members: dict[str, set[str]] = {}
    tree = as_dict(doc.get("product_tree"))
    for _, group in enumerate_dicts(tree.get("product_groups")):
        group_id = group.get("group_id")
        if isinstance(group_id, str):
            ids = {product_id for _, product_id in enumerate_strings(group.get("product_ids"))}
            members.setdefault(group_id, set()).update(ids)
    return members


def products_covered(item: dict[str, Any], groups: dict[str, set[str]]) -> set[str]:
    """The products an item (remediation, threat, flag) applies to: its ids and its groups'."""
    covered = {product_id for _, product_id in enumerate_strings(item.get("product_ids"))}
    for _, group_id in enumerate_strings(item.get("group_ids")):
        covered |= groups.get(group_id, set())
    return covered
