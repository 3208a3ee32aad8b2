"""What a case makes public: its advisory (Markdown, HTML, OSV) and the record in the store.

A case produces its advisory once, when it is published or closed; the OSV record goes to
the vulnerability store under the case's labels, so that the store's own searches and
exports keep it back until the embargo ends. The case's parties read the advisory at any
time; everyone else as the policy's TLP rules allow, once the embargo has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.disclosure import advisory_draft, records
from clearinghouse.disclosure.contents import produced_advisory, statement_rows
from clearinghouse.disclosure.errors import UnknownCase
from clearinghouse.disclosure.events import audit_change
from clearinghouse.disclosure.models import CaseAdvisory, DisclosureCase
from clearinghouse.disclosure.parties import authorise, case_labels, case_parties, invited
from clearinghouse.errors import Forbidden, Unauthenticated
from clearinghouse.identity.policy import DisclosureAction, advisory_filter, require_disclosure
from clearinghouse.identity.principal import Principal


def advisory_facts(session: Session, case: DisclosureCase) -> advisory_draft.AdvisoryFacts:
    """What the advisory says: the case, and each vendor's latest statement."""
    statements = tuple(
        advisory_draft.VendorStatement(
            vendor=row.vendor,
            status=row.status.value,
            versions=row.versions,
            statement=row.statement,
            stated_at=row.created_at,
        )
        for row in statement_rows(session, case)
        if row.current
    )
    return advisory_draft.AdvisoryFacts(
        case_id=case.id,
        title=case.title,
        summary=case.summary,
        description=case.description,
        package_ecosystem=case.package_ecosystem,
        package_name=case.package_name,
        affected_versions=case.affected_versions,
        cwe=case.cwe,
        cvss_vector=case.cvss_vector,
        severity=case.severity,
        cve_id=case.cve_id,
        tlp=case.tlp,
        embargo_ends_at=case.embargo_ends_at,
        statements=statements,
    )


def produce(session: Session, principal: Principal, case: DisclosureCase, now: datetime) -> None:
    if produced_advisory(session, case.id) is not None:
        return
    produced = advisory_draft.draft(advisory_facts(session, case), now=now, final=True)
    stored = records.store_record(
        session, produced.osv, labels=case_labels(case), actor=principal.actor
    )
    row = CaseAdvisory(
        case_id=case.id,
        osv_id=produced.osv_id,
        markdown=produced.markdown,
        html=produced.html,
        osv_document=advisory_draft.dump_json(produced.osv),
        produced_at=now,
        produced_by=principal.actor,
    )
    session.add(row)
    session.flush()
    audit_change(
        session,
        principal.actor,
        "case.advisory",
        ("disclosure_case", case.id),
        after={"markdown": row.markdown, "osv": row.osv_document},
        osv_id=row.osv_id,
        store=stored,
    )


def draft_advisory(
    session: Session, principal: Principal, *, case_id: int, now: datetime
) -> advisory_draft.AdvisoryDraft:
    """The advisory as it would read now, for the case's parties: a detail of the case."""
    case, _ = authorise(session, principal, DisclosureAction.case_read, case_id, now)
    return advisory_draft.draft(advisory_facts(session, case), now=now)


@dataclass(frozen=True)
class PublishedAdvisory:
    case_id: int
    title: str
    tlp: str
    embargo_ends_at: datetime
    advisory: CaseAdvisory


def read_advisory(
    session: Session, principal: Principal, *, case_id: int, now: datetime
) -> PublishedAdvisory:
    """The advisory a case produced, for its parties, and for others as its labels allow.

    Anyone else, and everyone while a case has produced nothing, gets the 404 of a case
    that does not exist.
    """
    case = session.get(DisclosureCase, case_id)
    advisory = produced_advisory(session, case_id) if case is not None else None
    if case is None or advisory is None:
        raise UnknownCase(f"no advisory of case {case_id}")
    parties = case_parties(session, case)
    try:
        require_disclosure(
            principal,
            DisclosureAction.advisory_read,
            parties,
            labels=case_labels(case),
            now=now,
        )
    except (Forbidden, Unauthenticated):
        raise UnknownCase(f"no advisory of case {case_id}") from None
    return PublishedAdvisory(case.id, case.title, case.tlp, case.embargo_ends_at, advisory)


def list_advisories(
    session: Session, principal: Principal, *, now: datetime
) -> list[PublishedAdvisory]:
    """Produced advisories `principal` may read, newest first (the public list, too)."""
    visible = advisory_filter(
        principal,
        invited=invited,
        tlp_column=DisclosureCase.tlp,
        owner_column=DisclosureCase.coordinator_org_id,
        embargo_column=DisclosureCase.embargo_ends_at,
        sharing_group_column=DisclosureCase.sharing_group_id,
        now=now,
    )
    rows = session.execute(
        select(DisclosureCase, CaseAdvisory)
        .join(CaseAdvisory, CaseAdvisory.case_id == DisclosureCase.id)
        .where(visible)
        .order_by(CaseAdvisory.produced_at.desc(), DisclosureCase.id.desc())
    )
    return [
        PublishedAdvisory(case.id, case.title, case.tlp, case.embargo_ends_at, advisory)
        for case, advisory in rows
    ]
