"""The JSON shapes of the inventory API: inventories, uploads, findings and their history."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import orjson
from pydantic import BaseModel, Field

from clearinghouse.sbom.models import FindingEvent, InventoryFinding, SbomUpload
from clearinghouse.sbom.service import InventorySummary, InventoryView, UploadOutcome


class SkippedOut(BaseModel):
    """A component listed in the file that could not be matched, and why."""

    name: str
    version: str | None
    purl: str | None
    bom_ref: str | None
    location: str
    reason: str


class UploadOut(BaseModel):
    id: int
    file_name: str
    format: str
    format_version: str | None
    subject: str | None
    declared: int = Field(description="Components the file lists")
    components: int = Field(description="Components matched (the others are in `skipped`)")
    skipped: int
    sha256: str
    size_bytes: int
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def of(cls, upload: SbomUpload) -> UploadOut:
        return cls(
            id=upload.id,
            file_name=upload.file_name,
            format=upload.format,
            format_version=upload.format_version,
            subject=upload.subject,
            declared=upload.declared_count,
            components=upload.component_count,
            skipped=upload.skipped_count,
            sha256=upload.sha256,
            size_bytes=upload.size_bytes,
            uploaded_by=upload.uploaded_by,
            uploaded_at=upload.uploaded_at,
        )


def skipped_of(upload: SbomUpload) -> list[SkippedOut]:
    return [SkippedOut(**item) for item in orjson.loads(upload.skipped)]


class FindingOut(BaseModel):
    id: int
    vulnerability: str = Field(description="The id to show: the group's CVE where it has one")
    aliases: list[str]
    records: list[str] = Field(description="The stored records the finding rests on")
    summary: str
    severity: str
    score: float | None
    known_exploited: bool
    kev_due_date: date | None = Field(description="BOD 22-01 due date, from the KEV catalog")
    ecosystem: str
    package: str
    version: str
    purl: str | None
    fixed_version: str | None = Field(description="The nearest version that fixes it")
    advisories: list[str]
    status: str
    status_reason: str | None
    decided_by: str | None
    decided_at: datetime | None
    vex_state: str | None
    vex_justification: str | None
    first_seen: datetime
    last_seen: datetime
    fixed_at: datetime | None
    link: str = Field(description="The vulnerability's page")

    @classmethod
    def of(cls, finding: InventoryFinding) -> FindingOut:
        return cls(
            id=finding.id,
            vulnerability=finding.primary_id,
            aliases=orjson.loads(finding.aliases),
            records=finding.record_ids,
            summary=finding.summary,
            severity=finding.severity,
            score=finding.score,
            known_exploited=finding.kev_due_date is not None,
            kev_due_date=finding.kev_due_date,
            ecosystem=finding.ecosystem,
            package=finding.name,
            version=finding.version,
            purl=finding.purl,
            fixed_version=finding.fixed_version,
            advisories=orjson.loads(finding.advisory_links),
            status=finding.status.value,
            status_reason=finding.status_reason,
            decided_by=finding.decided_by,
            decided_at=finding.decided_at,
            vex_state=finding.vex_state,
            vex_justification=finding.vex_justification,
            first_seen=finding.first_seen,
            last_seen=finding.last_seen,
            fixed_at=finding.fixed_at,
            link=f"/vulns/{finding.primary_id}",
        )


class EventOut(BaseModel):
    at: datetime
    actor: str
    kind: str
    status_before: str | None
    status_after: str
    upload_id: int | None
    record: str | None
    reason: str

    @classmethod
    def of(cls, event: FindingEvent) -> EventOut:
        return cls(
            at=event.occurred_at,
            actor=event.actor,
            kind=event.kind.value,
            status_before=event.status_before,
            status_after=event.status_after,
            upload_id=event.upload_id,
            record=event.osv_id,
            reason=event.reason,
        )


class FindingDetailOut(FindingOut):
    history: list[EventOut]


class InventorySummaryOut(BaseModel):
    id: int
    name: str
    organisation: str
    created_at: datetime
    latest_upload: UploadOut | None
    open_findings: dict[str, int] = Field(description="Findings with status new, by severity")

    @classmethod
    def of(cls, summary: InventorySummary) -> InventorySummaryOut:
        inventory = summary.inventory
        return cls(
            id=inventory.id,
            name=inventory.name,
            organisation=summary.organisation.slug,
            created_at=inventory.created_at,
            latest_upload=UploadOut.of(summary.latest_upload) if summary.latest_upload else None,
            open_findings=dict(summary.open_by_severity),
        )


class InventoryOut(BaseModel):
    id: int
    name: str
    organisation: str
    created_at: datetime
    latest_upload: UploadOut | None
    skipped: list[SkippedOut] = Field(description="What the latest upload could not match")
    uploads: list[UploadOut] = Field(description="Every upload, newest first")
    counts: dict[str, int] = Field(description="Findings by status")
    findings: list[FindingOut]

    @classmethod
    def of(cls, view: InventoryView) -> InventoryOut:
        latest = view.latest_upload
        return cls(
            id=view.inventory.id,
            name=view.inventory.name,
            organisation=view.organisation.slug,
            created_at=view.inventory.created_at,
            latest_upload=UploadOut.of(latest) if latest else None,
            skipped=skipped_of(latest) if latest else [],
            uploads=[UploadOut.of(u) for u in view.uploads],
            counts=view.counts,
            findings=[FindingOut.of(f) for f in view.findings],
        )


class UploadResultOut(BaseModel):
    inventory_id: int
    upload: UploadOut
    findings: dict[str, int] = Field(
        description="opened, reopened, persisting, fixed, suppressed (by VEX in the file)"
    )
    skipped: list[SkippedOut]
    link: str

    @classmethod
    def of(cls, outcome: UploadOutcome, upload: SbomUpload) -> UploadResultOut:
        return cls(
            inventory_id=outcome.inventory_id,
            upload=UploadOut.of(upload),
            findings=outcome.counts,
            skipped=skipped_of(upload),
            link=f"/inventories/{outcome.inventory_id}",
        )


class FindingStatusIn(BaseModel):
    status: Literal["new", "accepted", "not_affected"]
    reason: str = Field(default="", max_length=2000, description="Required unless status is new")
