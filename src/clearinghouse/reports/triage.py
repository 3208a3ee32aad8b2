"""The triage and validation workflow: states, who moved a report and why, evidence, SLA clocks.

    received -> triaged -> validating -> validated
        \\___________\\___________\\______-> rejected (duplicate, not reproducible,
                                                      out of scope, not a vulnerability)
    rejected -> received (reopened)

Every move names its actor and a reason and is kept twice: in the report's history
(`report_events`, what the report page shows) and in the hash-chained audit log. Validating
needs evidence that reproduced it; rejecting as not reproducible needs evidence of the
attempt. Each open state has an SLA clock: the report must leave it within `SLA[state]`
of entering it (`sla_due_at`), and the time it spent there is written into the history
when it leaves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.identity.policy import ReportAction, ReportFacts, report_view, require_report
from clearinghouse.identity.principal import Principal
from clearinghouse.reports.errors import InvalidTransition, ReportError, UnknownReport
from clearinghouse.reports.models import (
    EvidenceResult,
    LinkKind,
    RejectionReason,
    Report,
    ReportEvent,
    ReportEvidence,
    ReportLink,
    ReportStatus,
)
from clearinghouse.reports.scoring import SsvcInputs, apply_scores

__all__ = [
    "ALLOWED",
    "SLA",
    "BulkOutcome",
    "bulk_transition",
    "merge",
    "record_evidence",
    "rescore",
    "sla_due",
    "split",
    "transition",
]

ALLOWED: dict[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.received: frozenset({ReportStatus.triaged, ReportStatus.rejected}),
    ReportStatus.triaged: frozenset({ReportStatus.validating, ReportStatus.rejected}),
    ReportStatus.validating: frozenset({ReportStatus.validated, ReportStatus.rejected}),
    ReportStatus.validated: frozenset(),
    ReportStatus.rejected: frozenset({ReportStatus.received}),
}
OPEN_STATES = (ReportStatus.received, ReportStatus.triaged, ReportStatus.validating)

# How long a report may stay in each open state (the clearinghouse's service levels).
SLA: dict[ReportStatus, timedelta] = {
    ReportStatus.received: timedelta(days=2),
    ReportStatus.triaged: timedelta(days=5),
    ReportStatus.validating: timedelta(days=14),
}
MAX_REASON_CHARS = 5000


def sla_due(status: ReportStatus, entered_at: datetime) -> datetime | None:
    limit = SLA.get(status)
    return entered_at + limit if limit is not None else None


def report_state(report: Report) -> dict[str, object]:
    """What the audit log fingerprints of a report (its digest, not its text)."""
    return {
        "status": report.status.value,
        "rejection_reason": report.rejection_reason.value if report.rejection_reason else None,
        "duplicate_of_id": report.duplicate_of_id,
        "priority": report.priority,
    }


def _facts(report: Report) -> ReportFacts:
    return ReportFacts(
        report.submitted_by_user_id, report.reporter_org_id, report.tlp, report.sharing_group_id
    )


def load_for_triage(session: Session, principal: Principal, report_id: int) -> Report:
    """A report an analyst acts on; anyone else gets the 404 of a report that does not exist."""
    require_report(principal, ReportAction.report_read)  # anonymous: log in first
    report = session.get(Report, report_id)
    if report is None or report_view(principal, _facts(report)) is None:
        raise UnknownReport(f"no report {report_id}")
    require_report(principal, ReportAction.report_triage, _facts(report))
    return report


def _clean_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ReportError("say why: every triage step needs a reason")
    if len(text) > MAX_REASON_CHARS:
        raise ReportError(f"a reason is at most {MAX_REASON_CHARS} characters")
    return text


def _has_evidence(session: Session, report_id: int, result: EvidenceResult) -> bool:
    found = session.scalar(
        select(ReportEvidence.id)
        .where(ReportEvidence.report_id == report_id)
        .where(ReportEvidence.result == result)
        .limit(1)
    )
    return found is not None


def _check(
    session: Session,
    report: Report,
    to: ReportStatus,
    rejection_reason: RejectionReason | None,
) -> None:
    if to not in ALLOWED[report.status]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED[report.status])) or "nothing"
        raise InvalidTransition(
            f"report {report.id} is {report.status.value}: it can move to {allowed}, "
            f"not to {to.value}"
        )
    if to is ReportStatus.rejected and rejection_reason is None:
        raise ReportError(
            "a rejection needs its reason: duplicate, not_reproducible, out_of_scope or "
            "not_a_vulnerability"
        )
    if to is not ReportStatus.rejected and rejection_reason is not None:
        raise ReportError("only a rejection takes a rejection reason")
    if to is ReportStatus.validated and not _has_evidence(
        session, report.id, EvidenceResult.reproduced
    ):
        raise ReportError(
            f"report {report.id} needs validation evidence that reproduced it before it is "
            "validated (steps, environment, result)"
        )
    if rejection_reason is RejectionReason.not_reproducible and not _has_evidence(
        session, report.id, EvidenceResult.not_reproduced
    ):
        raise ReportError(
            f"report {report.id}: record the attempt to reproduce it (evidence with result "
            "not_reproduced) before rejecting it as not reproducible"
        )
    if (
        rejection_reason is RejectionReason.duplicate
        and report.duplicate_of_id is None
        and (report.known_osv_id is None)
    ):
        raise ReportError(
            f"report {report.id} is linked to no report or record: merge it into the one it "
            "repeats instead"
        )


def _move(
    session: Session,
    report: Report,
    *,
    actor: str,
    to: ReportStatus,
    reason: str,
    rejection_reason: RejectionReason | None,
    now: datetime,
    kind: str = "status",
) -> ReportEvent:
    before = report_state(report)
    spent = max(0, int((now - report.state_entered_at).total_seconds()))
    event = ReportEvent(
        report_id=report.id,
        occurred_at=now,
        actor=actor,
        kind=kind,
        status_before=report.status.value,
        status_after=to.value,
        rejection_reason=rejection_reason.value if rejection_reason else None,
        reason=reason,
        seconds_in_state=spent,
    )
    session.add(event)
    report.status = to
    report.rejection_reason = rejection_reason
    report.state_entered_at = now
    report.sla_due_at = sla_due(to, now)
    report.updated_at = now
    session.flush()
    audit.append(
        session,
        actor=actor,
        action=f"report.{kind}",
        subject_type="report",
        subject_id=str(report.id),
        before=before,
        after=report_state(report),
        details={
            "from": event.status_before,
            "to": to.value,
            "rejection_reason": event.rejection_reason,
            "reason": reason,
            "seconds_in_state": spent,
        },
    )
    return event


def transition(
    session: Session,
    principal: Principal,
    *,
    report_id: int,
    to: ReportStatus,
    reason: str,
    rejection_reason: RejectionReason | None = None,
    now: datetime,
) -> Report:
    """Move one report through the workflow, as an analyst, with a reason."""
    report = load_for_triage(session, principal, report_id)
    text = _clean_reason(reason)
    _check(session, report, to, rejection_reason)
    _move(
        session,
        report,
        actor=principal.actor,
        to=to,
        reason=text,
        rejection_reason=rejection_reason,
        now=now,
    )
    return report


@dataclass(frozen=True)
class BulkOutcome:
    changed: list[int]
    skipped: dict[int, str]


def bulk_transition(
    session: Session,
    principal: Principal,
    *,
    report_ids: Sequence[int] = (),
    model_run: str | None = None,
    to: ReportStatus,
    reason: str,
    rejection_reason: RejectionReason | None = None,
    now: datetime,
) -> BulkOutcome:
    """One move for many reports: the ids given, or every open report of one model run.

    Each report is checked and recorded on its own (history, audit event); one that cannot
    make the move is skipped with the reason, and the others still move.
    """
    require_report(principal, ReportAction.report_triage)
    text = _clean_reason(reason)
    ids = list(dict.fromkeys(report_ids))
    if model_run is not None:
        ids += [
            i
            for i in session.scalars(
                select(Report.id)
                .where(Report.model_run == model_run)
                .where(Report.status.in_(OPEN_STATES))
                .order_by(Report.id)
            )
            if i not in ids
        ]
    if not ids:
        raise ReportError("choose the reports: their ids, or a model run")
    changed: list[int] = []
    skipped: dict[int, str] = {}
    reports = {r.id: r for r in session.scalars(select(Report).where(Report.id.in_(ids)))}
    for report_id in ids:
        report = reports.get(report_id)
        if report is None:
            skipped[report_id] = "no such report"
            continue
        try:
            _check(session, report, to, rejection_reason)
        except ReportError as exc:
            skipped[report_id] = str(exc)
            continue
        _move(
            session,
            report,
            actor=principal.actor,
            to=to,
            reason=text,
            rejection_reason=rejection_reason,
            now=now,
        )
        changed.append(report_id)
    return BulkOutcome(changed, skipped)


def record_evidence(
    session: Session,
    principal: Principal,
    *,
    report_id: int,
    steps: str,
    environment: str,
    result: EvidenceResult,
    notes: str = "",
    now: datetime,
) -> ReportEvidence:
    """Attach validation evidence: how it was reproduced, where, and what happened."""
    report = load_for_triage(session, principal, report_id)
    if not steps.strip() or not environment.strip():
        raise ReportError("evidence needs the reproduction steps and the environment")
    evidence = ReportEvidence(
        report_id=report.id,
        steps=steps.strip(),
        environment=environment.strip(),
        result=result,
        notes=notes.strip(),
        recorded_by=principal.actor,
        recorded_at=now,
    )
    session.add(evidence)
    session.add(
        ReportEvent(
            report_id=report.id,
            occurred_at=now,
            actor=principal.actor,
            kind="evidence",
            reason=f"validation evidence: {result.value}",
        )
    )
    session.flush()
    audit.append(
        session,
        actor=principal.actor,
        action="report.evidence",
        subject_type="report",
        subject_id=str(report.id),
        after={"evidence_id": evidence.id, "result": result.value},
    )
    return evidence


def merge(
    session: Session, principal: Principal, *, report_id: int, into: int, reason: str, now: datetime
) -> Report:
    """Merge a report into the one it repeats: linked as its duplicate, and rejected as one.

    Reports already linked to the merged one follow it to the new canonical report.
    """
    report = load_for_triage(session, principal, report_id)
    target = load_for_triage(session, principal, into)
    text = _clean_reason(reason)
    if target.id == report.id:
        raise ReportError("a report cannot be merged into itself")
    canonical = session.get(Report, target.duplicate_of_id) if target.duplicate_of_id else target
    assert canonical is not None
    if canonical.id == report.id:
        raise ReportError(f"report {target.id} is already a duplicate of report {report.id}")
    before = report_state(report)
    report.duplicate_of_id = canonical.id
    report.duplicate_score = None
    for follower in session.scalars(select(Report).where(Report.duplicate_of_id == report.id)):
        follower.duplicate_of_id = canonical.id
    session.add(
        ReportLink(
            report_id=report.id,
            other_report_id=canonical.id,
            kind=LinkKind.merged,
            score=None,
            created_at=now,
            created_by=principal.actor,
        )
    )
    session.flush()
    if ReportStatus.rejected in ALLOWED[report.status]:
        _move(
            session,
            report,
            actor=principal.actor,
            to=ReportStatus.rejected,
            reason=f"merged into report {canonical.id}: {text}",
            rejection_reason=RejectionReason.duplicate,
            now=now,
            kind="merged",
        )
    else:
        session.add(
            ReportEvent(
                report_id=report.id,
                occurred_at=now,
                actor=principal.actor,
                kind="merged",
                reason=f"merged into report {canonical.id}: {text}",
            )
        )
        audit.append(
            session,
            actor=principal.actor,
            action="report.merged",
            subject_type="report",
            subject_id=str(report.id),
            before=before,
            after=report_state(report),
            details={"into": canonical.id, "reason": text},
        )
    return report


def split(
    session: Session, principal: Principal, *, report_id: int, reason: str, now: datetime
) -> Report:
    """Undo a duplicate link: the report stands on its own again (and is reopened if rejected)."""
    report = load_for_triage(session, principal, report_id)
    text = _clean_reason(reason)
    if report.duplicate_of_id is None:
        raise ReportError(f"report {report.id} is not linked as a duplicate")
    before = report_state(report)
    former = report.duplicate_of_id
    report.duplicate_of_id = None
    report.duplicate_score = None
    session.flush()
    if report.status is ReportStatus.rejected and (
        report.rejection_reason is RejectionReason.duplicate
    ):
        _move(
            session,
            report,
            actor=principal.actor,
            to=ReportStatus.received,
            reason=f"split from report {former}: {text}",
            rejection_reason=None,
            now=now,
            kind="split",
        )
        return report
    session.add(
        ReportEvent(
            report_id=report.id,
            occurred_at=now,
            actor=principal.actor,
            kind="split",
            reason=f"split from report {former}: {text}",
        )
    )
    audit.append(
        session,
        actor=principal.actor,
        action="report.split",
        subject_type="report",
        subject_id=str(report.id),
        before=before,
        after=report_state(report),
        details={"from": former, "reason": text},
    )
    return report


def rescore(
    session: Session,
    principal: Principal,
    *,
    report_id: int,
    ssvc_inputs: SsvcInputs | None = None,
    now: datetime,
) -> Report:
    """Score a report again (KEV and blast radius change), with new SSVC inputs if given."""
    report = load_for_triage(session, principal, report_id)
    before = report_state(report)
    decision = apply_scores(session, report, ssvc_inputs=ssvc_inputs)
    report.updated_at = now
    chosen = ", ".join(f"{k}={v}" for k, v in sorted(decision.chosen.items())) or "none set"
    session.add(
        ReportEvent(
            report_id=report.id,
            occurred_at=now,
            actor=principal.actor,
            kind="scored",
            reason=(
                f"SSVC {decision.coordinator} (coordinator), {decision.deployer} (deployer); "
                f"decision points set: {chosen}"
            ),
        )
    )
    session.flush()
    audit.append(
        session,
        actor=principal.actor,
        action="report.scored",
        subject_type="report",
        subject_id=str(report.id),
        before=before,
        after=report_state(report),
        details={"ssvc": decision.to_json()},
    )
    return report
