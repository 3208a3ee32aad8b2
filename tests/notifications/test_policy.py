"""The notifications section of `identity.policy`: an organisation's own users and operators."""

from __future__ import annotations

import pytest
from sqlalchemy import column

from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.policy import (
    NotificationAction,
    decide_notifications,
    notifications_filter,
)
from clearinghouse.identity.principal import ANONYMOUS, Principal, local_operator


def _user(org_id: int, role: Role = Role.partner) -> Principal:
    return Principal(
        user_id=org_id * 10,
        email=f"u{org_id}@example.org",
        role=role,
        organisation_id=org_id,
        organisation_slug=f"org{org_id}",
        organisation_kind=OrgKind.critical_infrastructure,
    )


@pytest.mark.parametrize("action", list(NotificationAction))
@pytest.mark.parametrize(
    ("who", "org_id", "allowed"),
    [
        (_user(1), 1, True),
        (_user(1, Role.reporter), 1, True),
        (_user(1), 2, False),
        (_user(1), None, False),  # the operators' channel
        (local_operator(), 2, True),
        (local_operator(), None, True),
        (ANONYMOUS, 1, False),
    ],
)
def test_who_manages_and_reads_an_organisations_notifications(
    action: NotificationAction, who: Principal, org_id: int | None, allowed: bool
) -> None:
    assert bool(decide_notifications(who, action, org_id)) is allowed


def test_the_list_filter_is_the_rule_in_sql() -> None:
    org = column("organisation_id")
    own = str(notifications_filter(_user(3), organisation_column=org).compile())
    assert own == "organisation_id = :organisation_id_1"
    everything = notifications_filter(local_operator(), organisation_column=org)
    nothing = notifications_filter(ANONYMOUS, organisation_column=org)
    assert str(everything.compile()) == "true" and str(nothing.compile()) == "false"
