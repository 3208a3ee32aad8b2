"""The API's shapes for advisories: what a draft takes, what a reader gets back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from clearinghouse.advisories.models import AdvisoryProfile, AdvisoryStatus, AdvisoryVersion
from clearinghouse.advisories.service import AdvisoryView, DraftChanges


class ReferenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2000)
    summary: str = Field(min_length=1, max_length=500)


class DraftFieldsIn(BaseModel):
    """The analyst's editable parts; left out means "as it is"."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, max_length=300)
    summary: str | None = Field(default=None, max_length=20_000)
    description: str | None = Field(default=None, max_length=20_000)
    legal_disclaimer: str | None = Field(default=None, max_length=20_000)
    lang: str | None = Field(default=None, max_length=35, examples=["en"])
    references: list[ReferenceIn] | None = Field(default=None, max_length=50)
    tlp: str | None = Field(default=None, max_length=32, examples=["AMBER"])
    sharing_group: str | None = Field(
        default=None, max_length=64, description='A sharing group slug; "" removes it'
    )
    embargo_ends_at: datetime | None = None
    clear_embargo: bool = False

    def changes(self) -> DraftChanges:
        return DraftChanges(
            title=self.title,
            summary=self.summary,
            description=self.description,
            legal_disclaimer=self.legal_disclaimer,
            lang=self.lang,
            references=None
            if self.references is None
            else [(r.url, r.summary) for r in self.references],
            tlp=self.tlp,
            sharing_group=self.sharing_group,
            embargo_ends_at=self.embargo_ends_at,
            clear_embargo=self.clear_embargo,
        )


class DraftIn(DraftFieldsIn):
    """A new draft from a vulnerability (any alias) or a published or closed case."""

    vulnerability: str | None = Field(default=None, max_length=255, examples=["CVE-2024-22195"])
    case_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    profile: AdvisoryProfile | None = None


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["interim", "final"]
    summary: str = Field(default="", max_length=2000, description="What this version changes")


class VersionOut(BaseModel):
    version: str
    status: AdvisoryStatus
    sha256: str
    sha512: str
    signature: str | None
    tlp: str
    embargo_ends_at: datetime | None
    published_at: datetime
    published_by: str
    change_summary: str

    @classmethod
    def of(cls, row: AdvisoryVersion) -> VersionOut:
        return cls(
            version=row.version,
            status=row.status,
            sha256=row.sha256,
            sha512=row.sha512,
            signature=row.signature,
            tlp=row.tlp,
            embargo_ends_at=row.embargo_ends_at,
            published_at=row.published_at,
            published_by=row.published_by,
            change_summary=row.change_summary,
        )


class AdvisoryOut(BaseModel):
    """An advisory: analysts get the draft and its labels; readers its published versions."""

    id: int
    tracking_id: str
    title: str
    profile: AdvisoryProfile
    status: AdvisoryStatus
    tlp: str
    versions: list[VersionOut]
    group_id: int | None = None
    case_id: int | None = None
    sharing_group_id: int | None = None
    embargo_ends_at: datetime | None = None
    draft: dict[str, Any] | None = None

    @classmethod
    def of(cls, view: AdvisoryView) -> AdvisoryOut:
        advisory = view.advisory
        latest = view.latest
        analyst = view.analyst
        return cls(
            id=advisory.id,
            tracking_id=advisory.tracking_id,
            title=view.title,
            profile=advisory.profile,
            # A reader sees the status of the latest version they may read, never the draft's.
            status=advisory.status if analyst or latest is None else latest.status,
            tlp=advisory.tlp if analyst or latest is None else latest.tlp,
            versions=[VersionOut.of(v) for v in view.versions],
            group_id=advisory.group_id if analyst else None,
            case_id=advisory.case_id if analyst else None,
            sharing_group_id=advisory.sharing_group_id if analyst else None,
            embargo_ends_at=advisory.embargo_ends_at
            if analyst or latest is None
            else latest.embargo_ends_at,
            draft=view.draft if analyst else None,
        )


class PublicationOut(BaseModel):
    created: bool
    notified: int
    version: VersionOut
