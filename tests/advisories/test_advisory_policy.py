"""The advisories section of the policy: analysts write and read all, readers by the labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clearinghouse.identity.models import Role
from clearinghouse.identity.policy import AdvisoryAction, decide_advisory
from clearinghouse.identity.principal import ANONYMOUS, Principal, local_operator

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Labels:
    tlp: str
    owner_org_id: int | None = 1
    embargo_ends_at: datetime | None = None
    sharing_group_id: int | None = None


def person(role: Role, org: int, groups: frozenset[int] = frozenset()) -> Principal:
    return Principal(
        user_id=org * 10,
        email=f"{role}@{org}.example",
        role=role,
        organisation_id=org,
        organisation_slug=f"org{org}",
        organisation_kind=None,
        amber_groups=groups,
    )


def test_only_analysts_write_and_read_drafts() -> None:
    for analyst in (local_operator(), person(Role.operator, 1), person(Role.reviewer, 2)):
        for action in AdvisoryAction:
            assert decide_advisory(analyst, action, Labels("RED"), now=NOW)
    for other in (ANONYMOUS, person(Role.vendor, 1), person(Role.partner, 3)):
        assert not decide_advisory(other, AdvisoryAction.advisory_write, now=NOW)
        assert not decide_advisory(other, AdvisoryAction.advisory_read_draft, now=NOW)
        assert not decide_advisory(other, AdvisoryAction.advisory_read, None, now=NOW)


def test_published_versions_are_read_under_their_labels() -> None:
    member = person(Role.partner, 3, frozenset({7}))
    stranger = person(Role.partner, 4)
    read = AdvisoryAction.advisory_read
    amber = Labels("AMBER", sharing_group_id=7)
    assert decide_advisory(ANONYMOUS, read, Labels("CLEAR"), now=NOW)
    assert not decide_advisory(ANONYMOUS, read, amber, now=NOW)
    assert decide_advisory(member, read, amber, now=NOW)
    assert not decide_advisory(stranger, read, amber, now=NOW)
    embargoed = Labels("CLEAR", embargo_ends_at=NOW + timedelta(days=1), sharing_group_id=7)
    assert decide_advisory(member, read, embargoed, now=NOW)
    assert not decide_advisory(stranger, read, embargoed, now=NOW)
    assert decide_advisory(stranger, read, embargoed, now=NOW + timedelta(days=2))
