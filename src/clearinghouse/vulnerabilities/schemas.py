"""The JSON shapes the vulnerability API answers with (OpenAPI documents them)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from clearinghouse.vulnerabilities.store import (
    KevStatus,
    RecordView,
    SearchPage,
    VulnGroupView,
    VulnSummary,
)


class Provenance(BaseModel):
    """Where a record came from and when it reached this instance."""

    source: str = Field(description="The feed or channel: osv, rustsec, api, ...")
    file: str = Field(description="The file (or archive member) it was read from")
    ingested_at: datetime
    updated_at: datetime
    revisions: int = Field(description="Earlier versions kept in the record's history")


class KevStatusOut(BaseModel):
    """The record's entry in CISA's Known Exploited Vulnerabilities catalog (BOD 22-01)."""

    cve_id: str
    vendor_project: str
    product: str
    vulnerability_name: str
    date_added: date
    due_date: date
    required_action: str
    known_ransomware_campaign_use: str
    short_description: str

    @classmethod
    def of(cls, kev: KevStatus) -> KevStatusOut:
        return cls(**kev.__dict__)


class VulnRecordOut(BaseModel):
    """An OSV record exactly as stored, plus a `provenance` member (not part of OSV)."""

    model_config = ConfigDict(extra="allow")

    id: str
    modified: str
    provenance: Provenance

    @classmethod
    def of(cls, record: RecordView) -> VulnRecordOut:
        provenance = Provenance(
            source=record.source,
            file=record.source_file,
            ingested_at=record.ingested_at,
            updated_at=record.updated_at,
            revisions=record.revisions,
        )
        return cls.model_validate({**record.document, "provenance": provenance})


class VulnGroupOut(BaseModel):
    """A vulnerability under any of its names: every record of its alias group you may read."""

    id: str = Field(description="The identifier asked for")
    group_id: int
    aliases: list[str]
    known_exploited: bool
    kev: KevStatusOut | None
    records: list[VulnRecordOut]

    @classmethod
    def of(cls, group: VulnGroupView) -> VulnGroupOut:
        return cls(
            id=group.requested,
            group_id=group.group_id,
            aliases=group.aliases,
            known_exploited=group.known_exploited,
            kev=KevStatusOut.of(group.kev) if group.kev else None,
            records=[VulnRecordOut.of(record) for record in group.records],
        )


class VulnSummaryOut(BaseModel):
    id: str
    summary: str
    severity: str | None
    modified: datetime
    published: datetime | None
    withdrawn: datetime | None
    ecosystems: list[str]
    packages: list[str]
    aliases: list[str]
    known_exploited: bool

    @classmethod
    def of(cls, item: VulnSummary) -> VulnSummaryOut:
        fields: dict[str, Any] = dict(item.__dict__)
        fields["id"] = fields.pop("osv_id")
        return cls(**fields)


class VulnPage(BaseModel):
    """One page of a search; `next` is the URL of the following page, null on the last."""

    items: list[VulnSummaryOut]
    total: int
    page: int
    per_page: int
    next: str | None

    @classmethod
    def of(cls, page: SearchPage, next_url: str | None) -> VulnPage:
        return cls(
            items=[VulnSummaryOut.of(item) for item in page.items],
            total=page.total,
            page=page.page,
            per_page=page.per_page,
            next=next_url,
        )


class SubmissionOut(BaseModel):
    id: str
    status: str = Field(description="added, updated, unchanged or withdrawn")
