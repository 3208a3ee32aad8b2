"""Where a case may go from each state: forward only, and nowhere once closed."""

from __future__ import annotations

from clearinghouse.disclosure.models import CaseStatus

# Where a case may go from each state; the state it is in never goes back.
TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.open: frozenset(
        {
            CaseStatus.vendor_notified,
            CaseStatus.fix_available,
            CaseStatus.published,
            CaseStatus.closed,
        }
    ),
    CaseStatus.vendor_notified: frozenset(
        {CaseStatus.fix_available, CaseStatus.published, CaseStatus.closed}
    ),
    CaseStatus.fix_available: frozenset({CaseStatus.published, CaseStatus.closed}),
    CaseStatus.published: frozenset({CaseStatus.closed}),
    CaseStatus.closed: frozenset(),
}
