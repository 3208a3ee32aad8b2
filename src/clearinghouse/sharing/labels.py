"""Labelling: put a TLP 2.0 label and a sharing group on a vulnerability, report, case or finding.

Who may label what is `identity.policy`'s rule of each area (operators for the store's
records, the reporter and analysts for reports, coordinators for cases, the inventory's
organisation for its findings). Every change is audited with the label before and after.
A label names the whole of it: the group not given is no group. A stored record that is
relabelled is matched against every inventory again, under its new label.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.disclosure.contents import produced_advisory
from clearinghouse.disclosure.errors import AdvisoryFrozen
from clearinghouse.disclosure.models import DisclosureCase
from clearinghouse.disclosure.parties import authorise
from clearinghouse.identity.errors import UnknownTlpLabel
from clearinghouse.identity.models import Organisation
from clearinghouse.identity.policy import (
    Action,
    DisclosureAction,
    InventoryAction,
    ReportAction,
    ReportFacts,
    inventory_visible,
    report_view,
    require,
    require_inventory,
    require_report,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.identity.tlp import Tlp
from clearinghouse.reports.models import Report
from clearinghouse.sbom.models import Inventory, InventoryFinding
from clearinghouse.sbom.rematch import rematch_records
from clearinghouse.sharing.errors import InvalidLabel, UnknownLabelledResource
from clearinghouse.sharing.service import group_by_slug
from clearinghouse.vulnerabilities.models import Vulnerability
from clearinghouse.vulnerabilities.store import identifier_candidates


@dataclass(frozen=True)
class Label:
    """A resource's label as shown: TLP, sharing group slug, and owner/embargo where it has them."""

    tlp: str
    sharing_group: str | None
    owner: str | None = None
    embargo_ends_at: datetime | None = None


def parse_tlp(text: str) -> str:
    """The canonical label of `text`; an unknown one is a clear 422."""
    try:
        return Tlp.parse(text).value
    except UnknownTlpLabel as exc:
        raise InvalidLabel(f"tlp: {exc}") from None


def _group_id(session: Session, slug: str | None) -> int | None:
    if slug is None or not slug.strip():
        return None
    return group_by_slug(session, slug.strip()).id


def _group_slug(session: Session, group_id: int | None) -> str | None:
    if group_id is None:
        return None
    from clearinghouse.sharing.models import SharingGroup

    return session.scalar(select(SharingGroup.slug).where(SharingGroup.id == group_id))


def _org_slug(session: Session, organisation_id: int | None) -> str | None:
    if organisation_id is None:
        return None
    return session.scalar(select(Organisation.slug).where(Organisation.id == organisation_id))


def _audit(
    session: Session, principal: Principal, subject: tuple[str, str], before: Label, after: Label
) -> None:
    audit.append(
        session,
        actor=principal.actor,
        action=f"{subject[0]}.label",
        subject_type=subject[0],
        subject_id=subject[1],
        before=before.__dict__,
        after=after.__dict__,
    )


# --- vulnerabilities ---------------------------------------------------------------------


def label_vulnerability(
    session: Session,
    principal: Principal,
    osv_id: str,
    *,
    tlp: str,
    group: str | None = None,
    owner: str | None = None,
    embargo_ends_at: datetime | None = None,
    now: datetime,
) -> Label:
    """Relabel one stored record (operators); `owner` and `embargo_ends_at` when given."""
    require(principal, Action.vuln_write, now=now)
    row = session.scalar(
        select(Vulnerability).where(Vulnerability.osv_id.in_(identifier_candidates(osv_id)))
    )
    if row is None:
        raise UnknownLabelledResource(f"no vulnerability record {osv_id!r}")
    before = vulnerability_label(session, row)
    row.tlp = parse_tlp(tlp)
    row.sharing_group_id = _group_id(session, group)
    if owner is not None:
        organisation = session.scalar(select(Organisation).where(Organisation.slug == owner))
        if organisation is None:
            raise InvalidLabel(f"owner: no organisation {owner!r}")
        row.owner_org_id = organisation.id
    if embargo_ends_at is not None:
        row.embargo_ends_at = embargo_ends_at
    session.flush()
    after = vulnerability_label(session, row)
    _audit(session, principal, ("vulnerability", row.osv_id), before, after)
    # Who may read it changed: inventories are matched again under the new label.
    rematch_records(session, [row.osv_id], actor=principal.actor, now=now)
    return after


def vulnerability_label(session: Session, row: Vulnerability) -> Label:
    return Label(
        row.tlp,
        _group_slug(session, row.sharing_group_id),
        _org_slug(session, row.owner_org_id),
        row.embargo_ends_at,
    )


# --- reports -------------------------------------------------------------------------------


def _report_facts(report: Report) -> ReportFacts:
    return ReportFacts(
        report.submitted_by_user_id, report.reporter_org_id, report.tlp, report.sharing_group_id
    )


def label_report(
    session: Session, principal: Principal, report_id: int, *, tlp: str, group: str | None = None
) -> Label:
    """Relabel a report (its reporter, analysts); anyone who may not see it gets a 404."""
    require_report(principal, ReportAction.report_read)  # anonymous: log in first
    report = session.get(Report, report_id)
    if report is None or report_view(principal, _report_facts(report)) is None:
        raise UnknownLabelledResource(f"no report {report_id}")
    require_report(principal, ReportAction.report_label, _report_facts(report))
    before = Label(report.tlp, _group_slug(session, report.sharing_group_id))
    report.tlp = parse_tlp(tlp)
    report.sharing_group_id = _group_id(session, group)
    session.flush()
    after = Label(report.tlp, _group_slug(session, report.sharing_group_id))
    _audit(session, principal, ("report", str(report.id)), before, after)
    return after


# --- cases ---------------------------------------------------------------------------------


def label_case(
    session: Session,
    principal: Principal,
    case_id: int,
    *,
    tlp: str,
    group: str | None = None,
    now: datetime,
) -> Label:
    """Relabel a case (coordinators) until it has produced its advisory, which keeps them."""
    case, _ = authorise(session, principal, DisclosureAction.case_manage, case_id, now)
    if produced_advisory(session, case.id) is not None:
        raise AdvisoryFrozen(f"case {case.id} has produced its advisory; its labels stay")
    before = case_label(session, case)
    case.tlp = parse_tlp(tlp)
    case.sharing_group_id = _group_id(session, group)
    case.updated_at = now
    session.flush()
    after = case_label(session, case)
    _audit(session, principal, ("disclosure_case", str(case.id)), before, after)
    return after


def case_label(session: Session, case: DisclosureCase) -> Label:
    return Label(
        case.tlp,
        _group_slug(session, case.sharing_group_id),
        _org_slug(session, case.coordinator_org_id),
        case.embargo_ends_at,
    )


# --- findings ------------------------------------------------------------------------------


def label_finding(
    session: Session,
    principal: Principal,
    inventory_id: int,
    finding_id: int,
    *,
    tlp: str,
    group: str | None = None,
) -> Label:
    """Share (or stop sharing) a finding: the inventory's organisation decides, nobody else."""
    require_inventory(principal, InventoryAction.inventory_read, None)  # anonymous: log in
    inventory = session.get(Inventory, inventory_id)
    finding = session.get(InventoryFinding, finding_id)
    if (
        inventory is None
        or finding is None
        or finding.inventory_id != inventory.id
        or not inventory_visible(principal, inventory.organisation_id)
    ):
        raise UnknownLabelledResource(f"no finding {finding_id} in inventory {inventory_id}")
    require_inventory(principal, InventoryAction.finding_decide, inventory.organisation_id)
    before = Label(finding.tlp, _group_slug(session, finding.sharing_group_id))
    finding.tlp = parse_tlp(tlp)
    finding.sharing_group_id = _group_id(session, group)
    session.flush()
    after = Label(finding.tlp, _group_slug(session, finding.sharing_group_id))
    _audit(session, principal, ("inventory_finding", str(finding.id)), before, after)
    return after
