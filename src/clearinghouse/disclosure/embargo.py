"""The embargo of a case: when it ends, whether it holds now, and the labels it puts on output.

The case's details never leave its parties, embargo or not; the embargo decides when what
the case produces (the advisory, the OSV record) may reach anyone else, under its TLP.
The same `CaseLabels` go to the policy for the advisory and to the vulnerability store
for the OSV record, so both answer the same question the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clearinghouse.disclosure.errors import InvalidCaseField
from clearinghouse.identity.errors import UnknownTlpLabel
from clearinghouse.identity.policy import CaseLabels
from clearinghouse.identity.tlp import Tlp

# Project Zero's and most vendors' default: long enough to fix, short enough to matter.
DEFAULT_EMBARGO = timedelta(days=90)
# An embargo of years is not a coordinated disclosure; it is a secret kept.
MAX_EMBARGO = timedelta(days=730)


def default_ends_at(now: datetime) -> datetime:
    return now + DEFAULT_EMBARGO


def check_ends_at(moment: datetime, *, now: datetime, field: str = "embargo_ends_at") -> datetime:
    """An aware date no further than `MAX_EMBARGO` ahead, in UTC; a past one means none."""
    if moment.tzinfo is None:
        raise InvalidCaseField(field, "needs a time zone (e.g. 2026-10-01T00:00:00Z)")
    if moment - now > MAX_EMBARGO:
        raise InvalidCaseField(
            field, f"at most {MAX_EMBARGO.days} days ahead: an embargo must end to be one"
        )
    return moment.astimezone(UTC)


def in_force(embargo_ends_at: datetime, now: datetime) -> bool:
    """Until the instant `embargo_ends_at` is reached (the store's rule, `identity.policy`)."""
    return now < embargo_ends_at


def days_left(embargo_ends_at: datetime, now: datetime) -> int:
    """Whole days until the embargo ends (0 once it has), rounded up: "ends in 1 day"."""
    seconds = (embargo_ends_at - now).total_seconds()
    return max(0, -int(-seconds // 86400))


def check_tlp(label: str, *, field: str = "tlp") -> str:
    """The canonical TLP 2.0 label of `label` ('amber', 'TLP:WHITE', ...)."""
    try:
        return Tlp.parse(label).value
    except UnknownTlpLabel as exc:
        raise InvalidCaseField(field, str(exc)) from None


def labels(
    *,
    tlp: str,
    coordinator_org_id: int | None,
    embargo_ends_at: datetime,
    sharing_group_id: int | None = None,
) -> CaseLabels:
    """What the advisory and the OSV record carry: the case's TLP, owner, embargo and group."""
    return CaseLabels(
        tlp=tlp,
        owner_org_id=coordinator_org_id,
        embargo_ends_at=embargo_ends_at,
        sharing_group_id=sharing_group_id,
    )
