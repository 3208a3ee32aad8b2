"""One report as its viewer may see it: the API, the CLI and the page all read it from here.

Analysts see everything: the links to the reports and records it repeats (with scores),
the reports that repeat it, validation evidence, the SLA clock. A reporter sees its own
report, its attachments, scores and history, but no other reporter's report, not even by
id, and no evidence: the redaction happens here, before any edge sees the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.identity.policy import (
    ReportAction,
    ReportFacts,
    ReportView,
    decide_report,
    report_view,
    require_report,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.reports.errors import UnknownAttachment, UnknownReport
from clearinghouse.reports.models import (
    Report,
    ReportAttachment,
    ReportEvent,
    ReportEvidence,
    ReportLink,
)
from clearinghouse.reports.schemas import (
    AttachmentOut,
    EventOut,
    EvidenceOut,
    LinkOut,
    ReportOut,
    ReportSummaryOut,
    ScoresOut,
)

__all__ = [
    "LinkedReport",
    "ReportDetail",
    "detail_out",
    "get_attachment",
    "get_report",
    "summary_out",
    "view_of",
]


@dataclass(frozen=True)
class LinkedReport:
    id: int
    title: str
    status: str
    kind: str
    score: float | None


@dataclass(frozen=True)
class ReportDetail:
    report: Report
    view: ReportView
    links: list[ReportLink]
    linked_reports: list[LinkedReport]  # what this report repeats, with scores
    repeated_by: list[LinkedReport]  # reports linked to this one as duplicates
    attachments: list[ReportAttachment]
    evidence: list[ReportEvidence]
    history: list[ReportEvent]

    @property
    def ssvc(self) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(self.report.ssvc or "{}")
        return data

    @property
    def affected(self) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = orjson.loads(self.report.affected or "[]")
        return data

    @property
    def identifiers(self) -> list[str]:
        data: list[str] = orjson.loads(self.report.identifiers or "[]")
        return data

    def overdue(self, now: datetime) -> bool:
        return self.report.sla_due_at is not None and self.report.sla_due_at < now


def facts(report: Report) -> ReportFacts:
    return ReportFacts(
        report.submitted_by_user_id, report.reporter_org_id, report.tlp, report.sharing_group_id
    )


def _visible(session: Session, principal: Principal, report_id: int) -> tuple[Report, ReportView]:
    require_report(principal, ReportAction.report_read)  # anonymous: log in first
    report = session.get(Report, report_id)
    view = report_view(principal, facts(report)) if report is not None else None
    if report is None or view is None:
        raise UnknownReport(f"no report {report_id}")
    return report, view


def get_report(session: Session, principal: Principal, report_id: int) -> ReportDetail:
    """The report and what its viewer may see of it; a 404 for anyone who may not see it."""
    report, view = _visible(session, principal, report_id)
    attachments = list(
        session.scalars(
            select(ReportAttachment)
            .where(ReportAttachment.report_id == report.id)
            .order_by(ReportAttachment.id)
        )
    )
    history = list(
        session.scalars(
            select(ReportEvent).where(ReportEvent.report_id == report.id).order_by(ReportEvent.id)
        )
    )
    if view == "reporter":
        return ReportDetail(report, view, [], [], [], attachments, [], history)
    links = list(
        session.scalars(
            select(ReportLink).where(ReportLink.report_id == report.id).order_by(ReportLink.id)
        )
    )
    other_ids = {link.other_report_id for link in links if link.other_report_id is not None}
    titles = {
        row.id: row
        for row in session.execute(
            select(Report.id, Report.title, Report.status).where(Report.id.in_(other_ids))
        )
    }
    linked = [
        LinkedReport(
            link.other_report_id,
            titles[link.other_report_id].title,
            titles[link.other_report_id].status.value,
            link.kind.value,
            link.score,
        )
        for link in links
        if link.other_report_id is not None and link.other_report_id in titles
    ]
    repeated_by = [
        LinkedReport(r.id, r.title, r.status.value, "duplicate", r.duplicate_score)
        for r in session.scalars(
            select(Report).where(Report.duplicate_of_id == report.id).order_by(Report.id).limit(200)
        )
    ]
    evidence = list(
        session.scalars(
            select(ReportEvidence)
            .where(ReportEvidence.report_id == report.id)
            .order_by(ReportEvidence.id)
        )
    )
    return ReportDetail(report, view, links, linked, repeated_by, attachments, evidence, history)


def get_attachment(
    session: Session, principal: Principal, report_id: int, attachment_id: int
) -> ReportAttachment:
    _visible(session, principal, report_id)
    attachment = session.get(ReportAttachment, attachment_id)
    if attachment is None or attachment.report_id != report_id:
        raise UnknownAttachment(f"no attachment {attachment_id} of report {report_id}")
    return attachment


def view_of(principal: Principal) -> ReportView:
    """The view a principal gets of reports in lists: analysts' or reporters'."""
    return "analyst" if decide_report(principal, ReportAction.report_triage) else "reporter"


def summary_out(report: Report, *, view: ReportView) -> ReportSummaryOut:
    analyst = view == "analyst"
    return ReportSummaryOut(
        id=report.id,
        title=report.title,
        status=report.status,
        rejection_reason=report.rejection_reason,
        package_ecosystem=report.package_ecosystem,
        package_name=report.package_name,
        source_format=report.source_format.value,
        discovered_by=report.discovered_by,
        discovered_by_name=report.discovered_by_name,
        model_run=report.model_run,
        duplicate_of_id=report.duplicate_of_id if analyst else None,
        duplicate_score=report.duplicate_score if analyst else None,
        cvss_score=report.cvss_score,
        ssvc_coordinator=report.ssvc_coordinator,
        known_exploited=report.known_exploited,
        blast_organisations=report.blast_organisations,
        priority=report.priority,
        content_sha256=report.content_sha256,
        created_at=report.created_at,
        sla_due_at=report.sla_due_at,
    )


def detail_out(detail: ReportDetail) -> ReportOut:
    report = detail.report
    analyst = detail.view == "analyst"
    summary = summary_out(report, view=detail.view)
    return ReportOut(
        **summary.model_dump(),
        view=detail.view,
        description=report.description,
        affected=detail.affected,
        affected_versions=report.affected_versions,
        cwe=report.cwe,
        cvss_vector=report.cvss_vector,
        identifiers=detail.identifiers,
        location=report.location,
        tlp=report.tlp,
        submitted_by=report.submitted_by,
        discovered_by_model_version_id=report.discovered_by_model_version_id,
        discovered_during_review_id=report.discovered_during_review_id,
        fingerprint=report.fingerprint if analyst else None,
        known_osv_id=report.known_osv_id if analyst else None,
        state_entered_at=report.state_entered_at,
        scores=ScoresOut(
            cvss_version=report.cvss_version,
            cvss_score=report.cvss_score,
            cvss_severity=report.cvss_severity,
            ssvc_coordinator=report.ssvc_coordinator,
            ssvc_deployer=report.ssvc_deployer,
            ssvc=detail.ssvc,
            known_exploited=report.known_exploited,
            kev_due_date=report.kev_due_date,
            blast_inventories=report.blast_inventories,
            blast_organisations=report.blast_organisations,
            priority=report.priority,
        ),
        links=[
            LinkOut(
                kind=link.kind, score=link.score, report_id=link.other_report_id, osv_id=link.osv_id
            )
            for link in detail.links
        ],
        attachments=[
            AttachmentOut(
                id=a.id,
                filename=a.filename,
                media_type=a.media_type,
                size_bytes=a.size_bytes,
                sha256=a.sha256,
                created_at=a.created_at,
            )
            for a in detail.attachments
        ],
        evidence=[
            EvidenceOut(
                id=e.id,
                steps=e.steps,
                environment=e.environment,
                result=e.result,
                notes=e.notes,
                recorded_by=e.recorded_by,
                recorded_at=e.recorded_at,
            )
            for e in detail.evidence
        ],
        history=[
            EventOut(
                occurred_at=e.occurred_at,
                actor=e.actor,
                kind=e.kind,
                status_before=e.status_before,
                status_after=e.status_after,
                rejection_reason=e.rejection_reason,
                reason=e.reason,
                seconds_in_state=e.seconds_in_state,
            )
            for e in detail.history
        ],
    )
