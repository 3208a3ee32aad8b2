"""What a case's changes leave behind: audit events and notifications.

The audit log keeps only digests of the states around a change, so a case's text may go
into `case_state`; the `details` of an event and the body of a notification are stored as
written, so they name the case and what happened, never what the case says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.disclosure.models import DisclosureCase
from clearinghouse.review.notifications import queue


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def case_state(case: DisclosureCase) -> dict[str, object]:
    return {
        "title": case.title,
        "summary": case.summary,
        "description": case.description,
        "package_ecosystem": case.package_ecosystem,
        "package_name": case.package_name,
        "affected_versions": case.affected_versions,
        "cwe": case.cwe,
        "cvss_vector": case.cvss_vector,
        "severity": case.severity,
        "cve_id": case.cve_id,
        "tlp": case.tlp,
        "embargo_ends_at": iso(case.embargo_ends_at),
        "status": case.status.value,
        "coordinator_org_id": case.coordinator_org_id,
        "published_at": iso(case.published_at),
        "closed_at": iso(case.closed_at),
    }


def audit_change(
    session: Session,
    actor: str,
    action: str,
    subject: tuple[str, int],
    *,
    before: object = None,
    after: object = None,
    **details: object,
) -> None:
    audit.append(
        session,
        actor=actor,
        action=action,
        subject_type=subject[0],
        subject_id=str(subject[1]),
        before=before,
        after=after,
        details=details,
    )


def notify(
    session: Session,
    case: DisclosureCase,
    recipients: Sequence[int | None],
    kind: str,
    body: str,
    event: str,
    now: datetime,
) -> None:
    queue(
        session,
        recipients=recipients,
        kind=kind,
        subject_type="disclosure_case",
        subject_id=str(case.id),
        body=body,
        event_key=f"case:{case.id}:{event}",
        now=now,
    )
