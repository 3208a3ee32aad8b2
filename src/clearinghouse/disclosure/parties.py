"""Who takes part in a case, read from the database for `identity.policy` to decide on.

Loading a case goes through `authorise`: the case, and the asker's part in it, once the
policy allowed the action; anyone outside the case gets the 404 of a missing case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from clearinghouse.disclosure import embargo
from clearinghouse.disclosure.errors import CaseStateConflict, UnknownCase, UnknownVendor
from clearinghouse.disclosure.models import CaseStatus, CaseVendor, DisclosureCase
from clearinghouse.errors import Unauthenticated
from clearinghouse.identity.models import Organisation
from clearinghouse.identity.policy import (
    CaseLabels,
    CaseParties,
    CaseView,
    DisclosureAction,
    case_view,
    require_disclosure,
)
from clearinghouse.identity.principal import Principal


def authenticated(principal: Principal) -> None:
    if not principal.is_authenticated:
        raise Unauthenticated("coordinated disclosure needs a login")


def load_case(session: Session, case_id: int) -> DisclosureCase:
    case = session.get(DisclosureCase, case_id)
    if case is None:
        raise UnknownCase(f"no case {case_id}")
    return case


def active_vendors(session: Session, case_id: int) -> list[CaseVendor]:
    return list(
        session.scalars(
            select(CaseVendor)
            .where(CaseVendor.case_id == case_id, CaseVendor.removed_at.is_(None))
            .order_by(CaseVendor.id)
        )
    )


def case_parties(session: Session, case: DisclosureCase) -> CaseParties:
    return CaseParties(
        vendor_org_ids=frozenset(v.organisation_id for v in active_vendors(session, case.id))
    )


def case_labels(case: DisclosureCase) -> CaseLabels:
    return embargo.labels(
        tlp=case.tlp,
        coordinator_org_id=case.coordinator_org_id,
        embargo_ends_at=case.embargo_ends_at,
        sharing_group_id=case.sharing_group_id,
    )


def authorise(
    session: Session,
    principal: Principal,
    action: DisclosureAction,
    case_id: int,
    now: datetime,
) -> tuple[DisclosureCase, CaseView]:
    """The case and the principal's part in it, once allowed; outsiders get a 404."""
    authenticated(principal)
    case = load_case(session, case_id)
    parties = case_parties(session, case)
    view = case_view(principal, parties)
    if view is None:
        raise UnknownCase(f"no case {case_id}")
    require_disclosure(principal, action, parties, now=now)
    return case, view


def require_not_closed(case: DisclosureCase) -> None:
    if case.status is CaseStatus.closed:
        raise CaseStateConflict(f"case {case.id} is closed; it keeps what it has")


def invited(organisation_id: int) -> ColumnElement[bool]:
    """The condition that the row's case has this vendor organisation (for the policy)."""
    return exists().where(
        CaseVendor.case_id == DisclosureCase.id,
        CaseVendor.organisation_id == organisation_id,
        CaseVendor.removed_at.is_(None),
    )


def organisation_by_slug(session: Session, slug: str, *, field: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.slug == slug.strip()))
    if org is None:
        raise UnknownVendor(f"{field}: no organisation {slug!r}")
    return org
