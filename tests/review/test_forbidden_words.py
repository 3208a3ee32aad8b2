"""Issue 6: no API response says or implies that a release needs anyone's leave.

The only place such a word may appear is inside the voluntary notice's own negation
("never blocks, delays or approves a release"), which is removed, exactly, before the
search; anywhere else, even "approves" counts.
"""

from __future__ import annotations

import re

import pytest

from clearinghouse.review import schemas
from clearinghouse.review.service import VOLUNTARY_NOTICE

from .conftest import World
from .scenario import walk_review

FORBIDDEN = re.compile(r"approv|clearance|cleared|permit|licen[cs]e|blocked", re.IGNORECASE)
REVIEW_PATHS = (
    "/api/v1/models",
    "/api/v1/reviews",
    "/api/v1/partner-designations",
    "/api/v1/grants",
)


def forbidden_words(text: str) -> list[str]:
    return FORBIDDEN.findall(text.replace(VOLUNTARY_NOTICE, ""))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (VOLUNTARY_NOTICE, []),
        (f'{{"voluntary_notice": "{VOLUNTARY_NOTICE}"}}', []),
        ("the review approves the release", ["approv"]),
        ("Release BLOCKED pending review", ["BLOCKED"]),
        ("cleared for release", ["cleared"]),
        ("a licence to release; a license; a permit", ["licence", "license", "permit"]),
        (VOLUNTARY_NOTICE.replace("never", "always"), ["approv"]),
    ],
)
def test_the_check_itself(text: str, found: list[str]) -> None:
    assert forbidden_words(text) == found


def test_the_notice_is_the_only_negation_and_says_voluntary() -> None:
    assert "voluntary" in VOLUNTARY_NOTICE.lower()
    assert "never blocks, delays or approves" in VOLUNTARY_NOTICE


def test_no_response_of_a_whole_review_implies_leave_to_release(world: World) -> None:
    walk_review(world)
    api = [r for r in world.responses if r.request.url.path.startswith(REVIEW_PATHS)]
    assert len(api) > 100  # successes, refusals and 404s alike
    for response in api:
        assert forbidden_words(response.text) == [], (response.request.url.path, response.text)
    submissions = [
        r.json()
        for r in api
        if r.request.method == "POST" and r.request.url.path == "/api/v1/reviews"
    ]
    assert submissions and all(body["voluntary_notice"] == VOLUNTARY_NOTICE for body in submissions)


def test_the_api_description_has_no_such_word(world: World) -> None:
    spec = world.client.get("/api/v1/openapi.json").json()
    for path, operations in spec["paths"].items():
        if path.startswith(REVIEW_PATHS):
            assert forbidden_words(str(operations)) == [], path
    names = {name for name in vars(schemas) if name.endswith(("In", "Out"))}
    for name, component in spec["components"]["schemas"].items():
        if name.split("-")[0] in names:
            assert forbidden_words(str(component)) == [], name
