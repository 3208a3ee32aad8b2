"""The review rules of `identity.policy`: who may do what in a review, and who sees it at all."""

from __future__ import annotations

import pytest

from clearinghouse.errors import Forbidden, Unauthenticated
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.policy import (
    ReviewAction,
    ReviewParties,
    decide_review,
    require_review,
    review_view,
)
from clearinghouse.identity.principal import ANONYMOUS, Principal, local_operator

DEV_ORG, AGENCY, OTHER_AGENCY, PARTNER, GRANTED, OTHER_LAB, OPS = 1, 2, 3, 4, 5, 6, 7
PARTIES = ReviewParties(
    developer_org_id=DEV_ORG,
    agency_org_ids=frozenset({AGENCY}),
    reviewer_user_ids=frozenset({20}),
    partner_org_ids=frozenset({PARTNER, GRANTED}),
    granted_partner_org_ids=frozenset({GRANTED}),
)


def person(user_id: int, role: Role, org: int, kind: OrgKind) -> Principal:
    return Principal(user_id, f"u{user_id}@x.example", role, org, f"org{org}", kind)


PEOPLE = {
    "operator": person(1, Role.operator, OPS, OrgKind.operator),
    "cli": local_operator("root"),
    "developer": person(10, Role.developer, DEV_ORG, OrgKind.ai_developer),
    "dev_org_reporter": person(11, Role.reporter, DEV_ORG, OrgKind.ai_developer),
    "reviewer": person(20, Role.reviewer, AGENCY, OrgKind.agency),
    "unassigned_reviewer": person(21, Role.reviewer, OTHER_AGENCY, OrgKind.agency),
    "partner": person(30, Role.partner, PARTNER, OrgKind.critical_infrastructure),
    "granted_partner": person(31, Role.partner, GRANTED, OrgKind.critical_infrastructure),
    "other_developer": person(40, Role.developer, OTHER_LAB, OrgKind.ai_developer),
}
A = ReviewAction
ALLOWED = {
    A.model_register: {"operator", "cli", "developer"},
    A.model_read: {"operator", "cli", "developer", "dev_org_reporter", "reviewer", "partner",
                   "granted_partner"},
    A.review_submit: {"developer"},
    A.review_read: {"operator", "cli", "developer", "dev_org_reporter", "reviewer", "partner",
                    "granted_partner"},
    A.review_read_restricted: {"operator", "cli", "reviewer"},
    A.review_assign: {"operator", "cli"},
    A.activity_manage: {"reviewer"},
    A.note_write: {"reviewer"},
    A.partner_propose: {"developer", "reviewer"},
    A.partner_consent: {"developer"},
    A.partner_accept: {"partner", "granted_partner"},
    A.grant_issue: {"developer"},
    A.grant_revoke: {"operator", "cli", "developer"},
    A.finding_record: {"reviewer", "granted_partner"},
}  # fmt: skip


def test_every_action_has_a_rule() -> None:
    assert set(ALLOWED) == set(ReviewAction)


@pytest.mark.parametrize("action", list(ReviewAction))
@pytest.mark.parametrize("who", list(PEOPLE))
def test_who_may_do_what(who: str, action: ReviewAction) -> None:
    decision = decide_review(PEOPLE[who], action, PARTIES)
    assert bool(decision) == (who in ALLOWED[action]), decision.reason
    assert decision.reason


@pytest.mark.parametrize(
    ("who", "view"),
    [
        ("operator", "reviewer"),
        ("cli", "reviewer"),
        ("reviewer", "reviewer"),
        ("developer", "developer"),
        ("dev_org_reporter", "developer"),
        ("partner", "partner"),
        ("granted_partner", "partner"),
        ("unassigned_reviewer", None),
        ("other_developer", None),
    ],
)
def test_which_redaction_each_gets(who: str, view: str | None) -> None:
    assert review_view(PEOPLE[who], PARTIES) == view


def test_anonymous_sees_nothing_and_must_log_in() -> None:
    assert review_view(ANONYMOUS, PARTIES) is None
    for action in ReviewAction:
        with pytest.raises(Unauthenticated):
            require_review(ANONYMOUS, action, PARTIES)
        with pytest.raises(Unauthenticated):
            require_review(ANONYMOUS, action, None)


def test_without_a_review_one_may_only_ask_to_list_or_register() -> None:
    assert decide_review(PEOPLE["partner"], A.review_read, None)
    assert decide_review(PEOPLE["developer"], A.model_register, None)
    assert not decide_review(PEOPLE["partner"], A.model_register, None)
    with pytest.raises(Forbidden):
        require_review(PEOPLE["developer"], A.review_submit, None)


def test_a_partner_loses_finding_rights_when_its_access_ends() -> None:
    ended = ReviewParties(DEV_ORG, frozenset({AGENCY}), frozenset(), frozenset({GRANTED}))
    assert not decide_review(PEOPLE["granted_partner"], A.finding_record, ended)
    assert review_view(PEOPLE["granted_partner"], ended) == "partner"
