"""Mandatory tests on product and group ids, product status, hashes, purls and version names.

Each test takes the parsed document and yields (path, message) for every violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from packageurl import PackageURL

from clearinghouse.formats.csaf.walk import (
    Path,
    as_dict,
    branches,
    enumerate_dicts,
    full_product_names,
    group_definitions,
    group_references,
    product_definitions,
    product_references,
    status_members,
    vulnerabilities,
)

Violation = tuple[Path, str]


def missing_product_id_definitions(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.1: every product id referred to is defined in the product tree."""
    defined = {product_id for _, product_id in product_definitions(doc)}
    for path, product_id in product_references(doc):
        if product_id not in defined:
            yield path, f"product id {product_id!r} is not defined in the product tree"


def multiple_product_id_definitions(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.2: no product id is defined twice."""
    seen: set[str] = set()
    for path, product_id in product_definitions(doc):
        if product_id in seen:
            yield path, f"product id {product_id!r} is defined more than once"
        seen.add(product_id)


def circular_product_id_definitions(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.3: a product defined by a relationship is not, through relationships, made of itself."""
    tree = as_dict(doc.get("product_tree"))
    built_from: dict[str, set[str]] = {}
    relationships = list(enumerate_dicts(tree.get("relationships")))
    for _, relationship in relationships:
        product_id = as_dict(relationship.get("full_product_name")).get("product_id")
        if isinstance(product_id, str):
            parts = built_from.setdefault(product_id, set())
            for key in ("product_reference", "relates_to_product_reference"):
                if isinstance(relationship.get(key), str):
                    parts.add(relationship[key])

    component = _strong_components(built_from)

    for index, relationship in relationships:
        product_id = as_dict(relationship.get("full_product_name")).get("product_id")
        if not isinstance(product_id, str):
            continue
        for key in ("product_reference", "relates_to_product_reference"):
            reference = relationship.get(key)
            # The edge product -> reference closes a cycle iff both lie in one strong component.
            if isinstance(reference, str) and (
                reference == product_id or component.get(reference) == component[product_id]
            ):
                yield (
                    ("product_tree", "relationships", index, key),
                    f"product id {product_id!r} is defined in terms of itself (via {reference!r})",
                )


def _strong_components(edges: dict[str, set[str]]) -> dict[str, int]:
    """Tarjan's strongly connected components, iteratively (a long chain must not recurse)."""
    index_of: dict[str, int] = {}
    low: dict[str, int] = {}
    component: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = 0
    for root in edges:
        if root in index_of:
            continue
        work: list[tuple[str, Iterator[str]]] = []
        index_of[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        work.append((root, iter(sorted(edges.get(root, ())))))
        while work:
            node, successors = work[-1]
            successor = next(successors, None)
            if successor is not None:
                if successor not in index_of:
                    index_of[successor] = low[successor] = counter
                    counter += 1
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges.get(successor, ())))))
                elif successor in on_stack:
                    low[node] = min(low[node], index_of[successor])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index_of[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index_of[node]
                    if member == node:
                        break
    return component


def missing_group_id_definitions(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.4: every product group id referred to is defined in the product tree."""
    defined = {group_id for _, group_id in group_definitions(doc)}
    for path, group_id in group_references(doc):
        if group_id not in defined:
            yield path, f"product group id {group_id!r} is not defined in the product tree"


def multiple_group_id_definitions(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.5: no product group id is defined twice."""
    seen: set[str] = set()
    for path, group_id in group_definitions(doc):
        if group_id in seen:
            yield path, f"product group id {group_id!r} is defined more than once"
        seen.add(group_id)


# The status groups of 6.1.6; `recommended` belongs to none of them.
_STATUS_GROUPS = {
    "first_affected": "affected",
    "known_affected": "affected",
    "last_affected": "affected",
    "known_not_affected": "not affected",
    "first_fixed": "fixed",
    "fixed": "fixed",
    "under_investigation": "under investigation",
}


def contradicting_product_status(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.6: within one vulnerability, no product is in two status groups (fixed and affected)."""
    for vulnerability_path, vulnerability in vulnerabilities(doc):
        first_group: dict[str, str] = {}
        for path, product_id in status_members(vulnerability_path, vulnerability):
            group = _STATUS_GROUPS.get(str(path[-2]))
            if group is None:
                continue
            earlier = first_group.setdefault(product_id, group)
            if earlier != group:
                yield path, f"product {product_id!r} is both {earlier} and {group}"


def invalid_purls(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.13: every purl in a product identification helper is a valid package URL."""
    for path, product in full_product_names(doc):
        helper = as_dict(product.get("product_identification_helper"))
        purl = helper.get("purl")
        if isinstance(purl, str):
            try:
                PackageURL.from_string(purl)
            except ValueError as exc:
                yield (*path, "product_identification_helper", "purl"), f"invalid purl: {exc}"


def multiple_hash_algorithms(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.25: one file's hashes do not use the same algorithm twice."""
    for path, product in full_product_names(doc):
        helper = as_dict(product.get("product_identification_helper"))
        for index, hashes in enumerate_dicts(helper.get("hashes")):
            seen: set[str] = set()
            for position, file_hash in enumerate_dicts(hashes.get("file_hashes")):
                algorithm = file_hash.get("algorithm")
                if not isinstance(algorithm, str):
                    continue
                if algorithm in seen:
                    where = (*path, "product_identification_helper", "hashes", index)
                    yield (
                        (*where, "file_hashes", position, "algorithm"),
                        f"hash algorithm {algorithm!r} is used more than once for the same file",
                    )
                seen.add(algorithm)


# Words and signs that make a version name a range ("4.1 and earlier", "<4.2", "all").
_RANGE_WORDS = frozenset({"after", "all", "before", "earlier", "later", "prior", "versions"})
_RANGE_SIGNS = re.compile(r"[<>≤≥]")


def version_ranges_in_product_version(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.31: a branch of category `product_version` names one version, not a range."""
    for path, branch in branches(doc):
        name = branch.get("name")
        if branch.get("category") != "product_version" or not isinstance(name, str):
            continue
        words = set(name.lower().split())
        if _RANGE_SIGNS.search(name) or words & _RANGE_WORDS:
            yield (
                (*path, "name"),
                f"product_version {name!r} looks like a version range; "
                "use the category product_version_range",
            )
