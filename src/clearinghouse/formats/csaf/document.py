"""Mandatory tests on the `document` object: languages, translator and category name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from clearinghouse.formats.csaf.language import language_tag_problem
from clearinghouse.formats.csaf.walk import Path, as_dict

Violation = tuple[Path, str]

PROFILE_CATEGORIES = frozenset(
    {
        "csaf_base",
        "csaf_security_incident_response",
        "csaf_informational_advisory",
        "csaf_security_advisory",
        "csaf_vex",
    }
)
# The profiles' names and category values, as 6.1.26 compares them: lower case, without
# whitespace, dashes and underscores ("Security_Incident_Response" -> "securityincidentresponse").
_RESERVED_CATEGORY_NAMES = frozenset(
    {
        "securityincidentresponse",
        "informationaladvisory",
        "securityadvisory",
        "vex",
        "csafbase",
        "csafsecurityincidentresponse",
        "csafinformationaladvisory",
        "csafsecurityadvisory",
        "csafvex",
    }
)
_IGNORED_IN_CATEGORY = re.compile(r"[\s_-]+")


def _document(doc: dict[str, Any]) -> dict[str, Any]:
    return as_dict(doc.get("document"))


def invalid_language_tags(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.12: `lang` and `source_lang` are valid BCP 47 language tags."""
    for key in ("lang", "source_lang"):
        tag = _document(doc).get(key)
        if isinstance(tag, str) and (problem := language_tag_problem(tag)) is not None:
            yield ("document", key), problem


def translator_without_source_language(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.15: a document published by a translator names its source language."""
    document = _document(doc)
    publisher = as_dict(document.get("publisher"))
    if publisher.get("category") == "translator" and "source_lang" not in document:
        yield ("document", "source_lang"), "a translator's document must give source_lang"


def prohibited_category_name(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.26: a category outside the profiles is not a near-spelling of a profile's name."""
    category = _document(doc).get("category")
    if not isinstance(category, str) or category in PROFILE_CATEGORIES:
        return
    if _IGNORED_IN_CATEGORY.sub("", category).lower() in _RESERVED_CATEGORY_NAMES:
        yield (
            ("document", "category"),
            f"category {category!r} is too close to a profile's name; "
            f"use one of {', '.join(sorted(PROFILE_CATEGORIES))} exactly, or another name",
        )


def translation_into_source_language(doc: dict[str, Any]) -> Iterator[Violation]:
    """6.1.28: a translation's language differs from its source language."""
    document = _document(doc)
    lang, source = document.get("lang"), document.get("source_lang")
    if isinstance(lang, str) and isinstance(source, str) and lang.lower() == source.lower():
        yield ("document", "source_lang"), f"source_lang is the document's own language ({lang})"
