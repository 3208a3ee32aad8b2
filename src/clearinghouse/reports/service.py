"""Taking in a vulnerability report, with its provenance, for the clearinghouse to validate.

`create_report` is the one place a report row is born (the review service calls it for
model findings, intake for everything submitted); it starts the SLA clock, writes the
first history step and the audit event. De-duplication and scoring are intake's work.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.reports.models import (
    DiscoveredBy,
    Report,
    ReportEvent,
    ReportStatus,
    SourceFormat,
)
from clearinghouse.reports.triage import sla_due


def report_state(report: Report) -> dict[str, object]:
    return {
        "title": report.title,
        "status": report.status.value,
        "tlp": report.tlp,
        "sharing_group_id": report.sharing_group_id,
        "package_ecosystem": report.package_ecosystem,
        "package_name": report.package_name,
        "submitted_by": report.submitted_by,
        "reporter_org_id": report.reporter_org_id,
        "discovered_by": report.discovered_by.value,
        "discovered_by_model_version_id": report.discovered_by_model_version_id,
        "discovered_during_review_id": report.discovered_during_review_id,
        "content_sha256": report.content_sha256,
    }


def create_report(
    session: Session,
    *,
    title: str,
    description: str,
    submitted_by: str,
    discovered_by: DiscoveredBy,
    submitted_by_user_id: int | None = None,
    reporter_org_id: int | None = None,
    discovered_by_model_version_id: int | None = None,
    discovered_during_review_id: int | None = None,
    package_ecosystem: str | None = None,
    package_name: str | None = None,
    affected_versions: str | None = None,
    cwe: str | None = None,
    cvss_vector: str | None = None,
    tlp: str = "AMBER",
    source_format: SourceFormat = SourceFormat.structured,
    content_sha256: str | None = None,
    discovered_by_name: str | None = None,
    model_run: str | None = None,
    location: str | None = None,
    identifiers: str = "[]",
    affected: str = "[]",
    package_name_key: str | None = None,
    fingerprint: str | None = None,
    now: datetime,
    record_audit: bool = True,
) -> Report:
    """A received report; triage and validation take it from here.

    `record_audit=False` is for intake, which writes the event itself once the report is
    fingerprinted, linked and scored.
    """
    report = Report(
        title=title,
        description=description,
        status=ReportStatus.received,
        package_ecosystem=package_ecosystem,
        package_name=package_name,
        package_name_key=package_name_key,
        affected_versions=affected_versions,
        cwe=cwe,
        cvss_vector=cvss_vector,
        tlp=tlp,
        submitted_by=submitted_by,
        submitted_by_user_id=submitted_by_user_id,
        reporter_org_id=reporter_org_id,
        discovered_by=discovered_by,
        discovered_by_model_version_id=discovered_by_model_version_id,
        discovered_during_review_id=discovered_during_review_id,
        source_format=source_format,
        content_sha256=content_sha256,
        discovered_by_name=discovered_by_name,
        model_run=model_run,
        location=location,
        identifiers=identifiers,
        affected=affected,
        fingerprint=fingerprint,
        state_entered_at=now,
        sla_due_at=sla_due(ReportStatus.received, now),
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    session.add(
        ReportEvent(
            report_id=report.id,
            occurred_at=now,
            actor=submitted_by,
            kind="received",
            status_after=ReportStatus.received.value,
            reason=f"submitted as {source_format.value}",
        )
    )
    if record_audit:
        audit.append(
            session,
            actor=submitted_by,
            action="report.create",
            subject_type="report",
            subject_id=str(report.id),
            after=report_state(report),
        )
    return report
