"""Which TAXII collections a reader is offered: the policy's rule, reader by reader."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clearinghouse.identity import ANONYMOUS, Principal, Tlp, local_operator
from clearinghouse.identity.models import OrgKind, Role
from clearinghouse.identity.policy import taxii_collection_offered

MEMBER = Principal(
    user_id=1,
    email="desk@gridco.example",
    role=Role.partner,
    organisation_id=10,
    organisation_slug="gridco",
    organisation_kind=OrgKind.critical_infrastructure,
    amber_groups=frozenset({7}),
)
NAMED = replace(MEMBER, user_id=2, red_groups=frozenset({7}))


@pytest.mark.parametrize(
    ("principal", "tlp", "group", "offered"),
    [
        (ANONYMOUS, Tlp.CLEAR, None, True),
        (ANONYMOUS, Tlp.GREEN, None, False),
        (ANONYMOUS, Tlp.AMBER, 7, False),
        (MEMBER, Tlp.GREEN, None, True),
        (MEMBER, Tlp.AMBER, 7, True),
        (MEMBER, Tlp.AMBER, 8, False),
        (MEMBER, Tlp.RED, 7, False),
        (NAMED, Tlp.RED, 7, True),
        (NAMED, Tlp.AMBER, None, False),
        (NAMED, Tlp.AMBER_STRICT, None, False),
        (NAMED, Tlp.AMBER_STRICT, 7, False),
        (local_operator(), Tlp.AMBER, 7, False),
        (local_operator(), Tlp.GREEN, None, True),
    ],
)
def test_collections_offered(
    principal: Principal, tlp: Tlp, group: int | None, offered: bool
) -> None:
    assert bool(taxii_collection_offered(principal, tlp, group)) is offered
