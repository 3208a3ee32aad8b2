"""Taking in a vulnerability report, with its provenance, for the clearinghouse to validate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.reports.models import DiscoveredBy, Report, ReportStatus


def report_state(report: Report) -> dict[str, object]:
    return {
        "title": report.title,
        "status": report.status.value,
        "tlp": report.tlp,
        "package_ecosystem": report.package_ecosystem,
        "package_name": report.package_name,
        "submitted_by": report.submitted_by,
        "reporter_org_id": report.reporter_org_id,
        "discovered_by": report.discovered_by.value,
        "discovered_by_model_version_id": report.discovered_by_model_version_id,
        "discovered_during_review_id": report.discovered_during_review_id,
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
    now: datetime,
) -> Report:
    """A received report; triage and validation (issue 4) take it from here."""
    report = Report(
        title=title,
        description=description,
        status=ReportStatus.received,
        package_ecosystem=package_ecosystem,
        package_name=package_name,
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
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    audit.append(
        session,
        actor=submitted_by,
        action="report.create",
        subject_type="report",
        subject_id=str(report.id),
        after=report_state(report),
    )
    return report
