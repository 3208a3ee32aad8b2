"""Coordinated disclosure: open a case from validated reports, hear the vendors, publish, close.

Every function checks `identity.policy` (disclosure section) first, answers outsiders as
if the case did not exist, audits its change in the same transaction and queues its
notifications. Notifications and audit details name the case and what happened, never its
details: those stay with the case's parties until the embargo has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.disclosure import embargo, publication, records
from clearinghouse.disclosure.contents import produced_advisory
from clearinghouse.disclosure.errors import (
    AdvisoryFrozen,
    CaseStateConflict,
    EmbargoInForce,
    InvalidCaseField,
    ReportAlreadyInCase,
    ReportNotValidated,
    UnknownMessage,
    UnknownReport,
    UnknownVendor,
    VendorAlreadyInvited,
)
from clearinghouse.disclosure.events import audit_change, case_state, iso, notify
from clearinghouse.disclosure.fields import (
    CaseChanges,
    apply_changes,
    report_tlp,
    text_field,
)
from clearinghouse.disclosure.models import (
    CaseMessage,
    CaseReport,
    CaseStatement,
    CaseStatus,
    CaseVendor,
    DisclosureCase,
    StatementStatus,
)
from clearinghouse.disclosure.parties import (
    authenticated,
    authorise,
    case_labels,
    case_parties,
    invited,
    organisation_by_slug,
    require_not_closed,
)
from clearinghouse.disclosure.transitions import TRANSITIONS
from clearinghouse.errors import Forbidden
from clearinghouse.identity.models import OrgKind
from clearinghouse.identity.policy import (
    CaseView,
    DisclosureAction,
    case_filter,
    require_disclosure,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.reports.models import Report, ReportStatus
from clearinghouse.review.notifications import OPERATORS

MAX_REPORTS = 50


# --- opening, listing, reading ---------------------------------------------------------------


def _reports(session: Session, report_ids: Sequence[int]) -> list[Report]:
    ids = list(dict.fromkeys(report_ids))
    if not ids:
        raise InvalidCaseField("report_ids", "name the validated report(s) the case is about")
    if len(ids) > MAX_REPORTS:
        raise InvalidCaseField("report_ids", f"at most {MAX_REPORTS} reports in one case")
    reports = []
    for report_id in ids:
        report = session.get(Report, report_id)
        if report is None:
            raise UnknownReport(f"report_ids: no report {report_id}")
        if report.status is not ReportStatus.validated:
            raise ReportNotValidated(
                f"report {report_id} is {report.status.value}, not validated: only a "
                "validated report opens a case"
            )
        linked = session.scalar(select(CaseReport.case_id).where(CaseReport.report_id == report_id))
        if linked is not None:
            raise ReportAlreadyInCase(f"report {report_id} is already in case {linked}")
        reports.append(report)
    return reports


def open_case(
    session: Session,
    principal: Principal,
    *,
    report_ids: Sequence[int],
    changes: CaseChanges | None = None,
    now: datetime,
) -> DisclosureCase:
    """A case about validated reports; the first one gives the defaults `changes` override."""
    authenticated(principal)
    require_disclosure(principal, DisclosureAction.case_open, None, now=now)
    reports = _reports(session, report_ids)
    first = reports[0]
    case = DisclosureCase(
        title="",
        summary="",
        description="",
        package_ecosystem=None,
        package_name=None,
        affected_versions=None,
        cwe=None,
        cvss_vector=None,
        severity=None,
        cve_id=None,
        tlp=report_tlp(first.tlp),
        embargo_ends_at=embargo.default_ends_at(now),
        status=CaseStatus.open,
        coordinator_org_id=principal.organisation_id,
        opened_by=principal.actor,
        opened_at=now,
        updated_at=now,
    )
    from_report = CaseChanges(
        title=first.title,
        description=first.description,
        package_ecosystem=first.package_ecosystem or "",
        package_name=first.package_name or "",
        affected_versions=first.affected_versions or "",
        cwe=first.cwe or "",
        cvss_vector=first.cvss_vector or "",
    )
    apply_changes(case, replace(from_report, **(changes or CaseChanges()).given()), now)
    session.add(case)
    session.flush()
    for report in reports:
        session.add(CaseReport(case_id=case.id, report_id=report.id, linked_at=now))
    session.flush()
    audit_change(
        session,
        principal.actor,
        "case.open",
        ("disclosure_case", case.id),
        after=case_state(case),
        report_ids=[r.id for r in reports],
    )
    return case


def list_cases(
    session: Session, principal: Principal, *, status: CaseStatus | None = None, now: datetime
) -> list[DisclosureCase]:
    """The cases `principal` takes part in (every case, for coordinators), newest first."""
    authenticated(principal)
    require_disclosure(principal, DisclosureAction.case_read, None, now=now)
    query = select(DisclosureCase).where(case_filter(principal, invited=invited))
    if status is not None:
        query = query.where(DisclosureCase.status == status)
    return list(session.scalars(query.order_by(DisclosureCase.id.desc())))


def get_case(
    session: Session, principal: Principal, *, case_id: int, now: datetime
) -> tuple[DisclosureCase, CaseView]:
    return authorise(session, principal, DisclosureAction.case_read, case_id, now)


# --- changing a case ------------------------------------------------------------------------


def update_case(
    session: Session, principal: Principal, *, case_id: int, changes: CaseChanges, now: datetime
) -> DisclosureCase:
    """Edit a case. Once it has produced its advisory, only a running embargo may move."""
    case, _ = authorise(session, principal, DisclosureAction.case_manage, case_id, now)
    given = changes.given()
    if not given:
        return case
    before = case_state(case)
    advisory = produced_advisory(session, case.id)
    if advisory is not None:
        if set(given) != {"embargo_ends_at"}:
            raise AdvisoryFrozen(
                f"case {case.id} has produced its advisory; only a running embargo may move"
            )
        if not embargo.in_force(case.embargo_ends_at, now):
            raise AdvisoryFrozen(
                f"case {case.id}'s embargo has ended and its advisory is out: it cannot return"
            )
    else:
        require_not_closed(case)
    apply_changes(case, changes, now)
    case.updated_at = now
    if advisory is not None:
        records.relabel(session, advisory.osv_id, case_labels(case))
    audit_change(
        session,
        principal.actor,
        "case.update",
        ("disclosure_case", case.id),
        before=before,
        after=case_state(case),
        fields=sorted(given),
    )
    return case


def invite_vendor(
    session: Session, principal: Principal, *, case_id: int, organisation_slug: str, now: datetime
) -> CaseVendor:
    """Invite a vendor organisation; the case counts as notified from the first one."""
    case, _ = authorise(session, principal, DisclosureAction.case_manage, case_id, now)
    require_not_closed(case)
    org = organisation_by_slug(session, organisation_slug, field="organisation")
    if org.kind is not OrgKind.vendor:
        raise InvalidCaseField(
            "organisation", f"{org.slug} is a {org.kind.value} organisation, not a vendor"
        )
    row = session.scalar(
        select(CaseVendor).where(
            CaseVendor.case_id == case.id, CaseVendor.organisation_id == org.id
        )
    )
    if row is not None and row.removed_at is None:
        raise VendorAlreadyInvited(f"{org.slug} is already invited to case {case.id}")
    if row is None:
        row = CaseVendor(case_id=case.id, organisation_id=org.id, invited_at=now)
        session.add(row)
    row.invited_at, row.invited_by = now, principal.actor
    row.removed_at = row.removed_by = row.removal_reason = None
    session.flush()
    audit_change(
        session,
        principal.actor,
        "case.vendor.invite",
        ("disclosure_case", case.id),
        after={"organisation_id": org.id, "invited_at": iso(now)},
        organisation=org.slug,
    )
    if case.status is CaseStatus.open:
        _move(
            session, principal.actor, case, CaseStatus.vendor_notified, "first vendor invited", now
        )
    notify(
        session,
        case,
        [org.id],
        "case.invited",
        f"Your organisation is invited to coordinated disclosure case {case.id}.",
        f"invite:{org.id}:{now.isoformat()}",
        now,
    )
    return row


def remove_vendor(
    session: Session,
    principal: Principal,
    *,
    case_id: int,
    organisation_slug: str,
    reason: str = "",
    now: datetime,
) -> CaseVendor:
    """Take a vendor off a case: from now on it gets a 404 like anyone outside it."""
    case, _ = authorise(session, principal, DisclosureAction.case_manage, case_id, now)
    require_not_closed(case)
    org = organisation_by_slug(session, organisation_slug, field="organisation")
    row = session.scalar(
        select(CaseVendor).where(
            CaseVendor.case_id == case.id,
            CaseVendor.organisation_id == org.id,
            CaseVendor.removed_at.is_(None),
        )
    )
    if row is None:
        raise UnknownVendor(f"{org.slug} is not a vendor of case {case.id}")
    row.removed_at, row.removed_by = now, principal.actor
    row.removal_reason = text_field("reason", reason) or None
    audit_change(
        session,
        principal.actor,
        "case.vendor.remove",
        ("disclosure_case", case.id),
        before={"organisation_id": org.id, "invited_at": iso(row.invited_at)},
        after={"organisation_id": org.id, "removed_at": iso(now)},
        organisation=org.slug,
    )
    return row


def post_statement(
    session: Session,
    principal: Principal,
    *,
    case_id: int,
    status: StatementStatus,
    versions: str = "",
    statement: str = "",
    vendor_slug: str | None = None,
    now: datetime,
) -> CaseStatement:
    """A vendor's statement on its products; coordinators may record one for a vendor."""
    case, view = authorise(session, principal, DisclosureAction.statement_post, case_id, now)
    require_not_closed(case)
    if view == "vendor":
        if vendor_slug and vendor_slug != principal.organisation_slug:
            raise Forbidden("a vendor states for its own organisation only")
        assert principal.organisation_id is not None  # a vendor view implies one
        vendor_id = principal.organisation_id
    else:
        if not vendor_slug:
            raise InvalidCaseField("vendor", "name the vendor whose statement this is")
        vendor_id = organisation_by_slug(session, vendor_slug, field="vendor").id
        if vendor_id not in case_parties(session, case).vendor_org_ids:
            raise UnknownVendor(f"vendor: {vendor_slug} is not a vendor of case {case.id}")
    row = CaseStatement(
        case_id=case.id,
        organisation_id=vendor_id,
        status=StatementStatus(status),
        versions=text_field("versions", versions),
        statement=text_field("statement", statement),
        author=principal.actor,
        author_user_id=principal.user_id,
        created_at=now,
    )
    if row.status is not StatementStatus.not_affected and not row.versions:
        raise InvalidCaseField("versions", f"say which versions are {row.status.value}")
    session.add(row)
    session.flush()
    audit_change(
        session,
        principal.actor,
        "case.statement",
        ("disclosure_case", case.id),
        after={
            "statement_id": row.id,
            "status": row.status.value,
            "versions": row.versions,
            "statement": row.statement,
        },
        statement_id=row.id,
        organisation_id=vendor_id,
        status=row.status.value,
    )
    if row.status is StatementStatus.fixed and case.status is CaseStatus.vendor_notified:
        _move(session, principal.actor, case, CaseStatus.fix_available, "a vendor has a fix", now)
    notify(
        session,
        case,
        [OPERATORS],
        "case.statement",
        f"A vendor posted a statement in coordinated disclosure case {case.id}.",
        f"statement:{row.id}",
        now,
    )
    return row


def post_message(
    session: Session,
    principal: Principal,
    *,
    case_id: int,
    body: str,
    parent_id: int | None = None,
    now: datetime,
) -> CaseMessage:
    """A message to every party of the case, or a reply to one."""
    case, _ = authorise(session, principal, DisclosureAction.message_post, case_id, now)
    require_not_closed(case)
    if parent_id is not None:
        parent = session.get(CaseMessage, parent_id)
        if parent is None or parent.case_id != case.id:
            raise UnknownMessage(f"parent_id: no message {parent_id} in case {case.id}")
    row = CaseMessage(
        case_id=case.id,
        parent_id=parent_id,
        author=principal.actor,
        author_user_id=principal.user_id,
        author_org_id=principal.organisation_id,
        body=text_field("body", body, required=True),
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit_change(
        session,
        principal.actor,
        "case.message",
        ("disclosure_case", case.id),
        after={"message_id": row.id, "parent_id": parent_id, "body": row.body},
        message_id=row.id,
        parent_id=parent_id,
    )
    others = [OPERATORS, *sorted(case_parties(session, case).vendor_org_ids)]
    notify(
        session,
        case,
        [o for o in others if o is None or o != principal.organisation_id],
        "case.message",
        f"A new message in coordinated disclosure case {case.id}.",
        f"message:{row.id}",
        now,
    )
    return row


def _move(
    session: Session, actor: str, case: DisclosureCase, to: CaseStatus, reason: str, now: datetime
) -> None:
    before = case_state(case)
    was = case.status
    case.status = to
    case.updated_at = now
    if to is CaseStatus.published:
        case.published_at = now
    if to is CaseStatus.closed:
        case.closed_at = now
        case.close_reason = reason or None
    audit_change(
        session,
        actor,
        "case.state",
        ("disclosure_case", case.id),
        before=before,
        after=case_state(case),
        **{"from": was.value, "to": to.value},
    )


def move_case(
    session: Session,
    principal: Principal,
    *,
    case_id: int,
    to: CaseStatus,
    reason: str = "",
    now: datetime,
) -> DisclosureCase:
    """Move a case on. Publishing waits for the embargo; publishing or closing produces the
    advisory and stores the OSV record, whose labels keep it back until the embargo ends."""
    case, _ = authorise(session, principal, DisclosureAction.case_manage, case_id, now)
    to = CaseStatus(to)
    if to not in TRANSITIONS[case.status]:
        allowed = ", ".join(s.value for s in CaseStatus if s in TRANSITIONS[case.status])
        raise CaseStateConflict(
            f"case {case.id} is {case.status.value}; it may move to {allowed or 'nothing'}"
        )
    reason = text_field("reason", reason)
    if to is CaseStatus.vendor_notified and not case_parties(session, case).vendor_org_ids:
        raise CaseStateConflict(f"case {case.id} has no vendor to notify: invite one first")
    if to is CaseStatus.published and embargo.in_force(case.embargo_ends_at, now):
        raise EmbargoInForce(
            f"case {case.id} is under embargo until {case.embargo_ends_at:%Y-%m-%d %H:%M} UTC: "
            "publish after it, or move the embargo date first"
        )
    if to in (CaseStatus.published, CaseStatus.closed):
        publication.produce(session, principal, case, now)
    _move(session, principal.actor, case, to, reason, now)
    if to in (CaseStatus.published, CaseStatus.closed):
        vendors = sorted(case_parties(session, case).vendor_org_ids)
        notify(
            session,
            case,
            [OPERATORS, *vendors],
            f"case.{to.value}",
            f"Coordinated disclosure case {case.id} is {to.value}.",
            to.value,
            now,
        )
    return case
