"""What a party sees of a case: its reports, vendors, statements, messages and advisory.

Built only after the policy allowed the reader (`parties.authorise`); a vendor sees the
vendors still on the case, coordinators also those removed and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.disclosure import embargo
from clearinghouse.disclosure.models import (
    CaseAdvisory,
    CaseMessage,
    CaseReport,
    CaseStatement,
    CaseStatus,
    CaseVendor,
    DisclosureCase,
    StatementStatus,
)
from clearinghouse.disclosure.parties import authorise
from clearinghouse.disclosure.transitions import TRANSITIONS
from clearinghouse.identity.models import Organisation
from clearinghouse.identity.policy import CaseView, DisclosureAction
from clearinghouse.identity.principal import Principal
from clearinghouse.reports.models import Report


@dataclass(frozen=True)
class VendorRow:
    organisation_id: int
    slug: str
    name: str
    invited_at: datetime
    removed_at: datetime | None
    removal_reason: str | None

    @property
    def active(self) -> bool:
        return self.removed_at is None


@dataclass(frozen=True)
class StatementRow:
    id: int
    vendor: str
    vendor_slug: str
    status: StatementStatus
    versions: str
    statement: str
    author: str
    created_at: datetime
    current: bool  # the vendor's latest statement


@dataclass(frozen=True)
class MessageRow:
    id: int
    parent_id: int | None
    depth: int
    author: str
    organisation: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class ReportRow:
    id: int
    title: str
    status: str


@dataclass(frozen=True)
class CaseContents:
    """Everything a party sees of a case; built only after the policy allowed it."""

    case: DisclosureCase
    view: CaseView
    reports: tuple[ReportRow, ...]
    vendors: tuple[VendorRow, ...]
    statements: tuple[StatementRow, ...]
    messages: tuple[MessageRow, ...]  # depth-first: each reply under its parent
    advisory: CaseAdvisory | None
    embargo_in_force: bool
    embargo_days_left: int
    next_states: tuple[CaseStatus, ...]


def _names(session: Session, ids: set[int]) -> dict[int, Organisation]:
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}


def _vendor_rows(session: Session, case: DisclosureCase, view: CaseView) -> tuple[VendorRow, ...]:
    rows = list(
        session.scalars(
            select(CaseVendor).where(CaseVendor.case_id == case.id).order_by(CaseVendor.id)
        )
    )
    if view != "coordinator":
        rows = [r for r in rows if r.removed_at is None]  # removals are the coordinators' business
    orgs = _names(session, {r.organisation_id for r in rows})
    return tuple(
        VendorRow(
            organisation_id=r.organisation_id,
            slug=orgs[r.organisation_id].slug,
            name=orgs[r.organisation_id].name,
            invited_at=r.invited_at,
            removed_at=r.removed_at,
            removal_reason=r.removal_reason if view == "coordinator" else None,
        )
        for r in rows
    )


def statement_rows(session: Session, case: DisclosureCase) -> tuple[StatementRow, ...]:
    rows = list(
        session.scalars(
            select(CaseStatement)
            .where(CaseStatement.case_id == case.id)
            .order_by(CaseStatement.created_at, CaseStatement.id)
        )
    )
    orgs = _names(session, {r.organisation_id for r in rows})
    latest = {r.organisation_id: r.id for r in rows}  # ordered: the last one wins
    return tuple(
        StatementRow(
            id=r.id,
            vendor=orgs[r.organisation_id].name,
            vendor_slug=orgs[r.organisation_id].slug,
            status=r.status,
            versions=r.versions,
            statement=r.statement,
            author=r.author,
            created_at=r.created_at,
            current=latest[r.organisation_id] == r.id,
        )
        for r in rows
    )


def _message_rows(session: Session, case: DisclosureCase) -> tuple[MessageRow, ...]:
    rows = list(
        session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case.id)
            .order_by(CaseMessage.created_at, CaseMessage.id)
        )
    )
    orgs = _names(session, {r.author_org_id for r in rows if r.author_org_id is not None})
    children: dict[int | None, list[CaseMessage]] = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered: list[MessageRow] = []
    # Iterative depth-first walk: a long thread must not exhaust the stack.
    stack = [(row, 0) for row in reversed(children.get(None, []))]
    while stack:
        row, depth = stack.pop()
        org = orgs.get(row.author_org_id) if row.author_org_id is not None else None
        ordered.append(
            MessageRow(
                id=row.id,
                parent_id=row.parent_id,
                depth=depth,
                author=row.author.removeprefix("user:"),
                organisation=org.name if org else "Clearinghouse",
                body=row.body,
                created_at=row.created_at,
            )
        )
        stack.extend((child, depth + 1) for child in reversed(children.get(row.id, [])))
    return tuple(ordered)


def _report_rows(session: Session, case: DisclosureCase) -> tuple[ReportRow, ...]:
    rows = session.execute(
        select(Report.id, Report.title, Report.status)
        .join(CaseReport, CaseReport.report_id == Report.id)
        .where(CaseReport.case_id == case.id)
        .order_by(Report.id)
    )
    return tuple(ReportRow(id, title, status.value) for id, title, status in rows)


def produced_advisory(session: Session, case_id: int) -> CaseAdvisory | None:
    return session.scalar(select(CaseAdvisory).where(CaseAdvisory.case_id == case_id))


def case_contents(
    session: Session, principal: Principal, *, case_id: int, now: datetime
) -> CaseContents:
    case, view = authorise(session, principal, DisclosureAction.case_read, case_id, now)
    return CaseContents(
        case=case,
        view=view,
        # The reports and their reporters are the clearinghouse's business, not the vendors'.
        reports=_report_rows(session, case) if view == "coordinator" else (),
        vendors=_vendor_rows(session, case, view),
        statements=statement_rows(session, case),
        messages=_message_rows(session, case),
        advisory=produced_advisory(session, case.id),
        embargo_in_force=embargo.in_force(case.embargo_ends_at, now),
        embargo_days_left=embargo.days_left(case.embargo_ends_at, now),
        next_states=tuple(s for s in CaseStatus if s in TRANSITIONS[case.status]),
    )
