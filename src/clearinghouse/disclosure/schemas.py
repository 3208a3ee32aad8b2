"""The JSON shapes of the disclosure API: requests (size-limited) and what each party sees.

A case is only ever shaped for someone the policy let in (`CaseContents`); the removed
vendors and the reasons for removal appear only in the coordinators' view.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, Field

from clearinghouse.disclosure.advisory_draft import AdvisoryDraft
from clearinghouse.disclosure.contents import (
    CaseContents,
    MessageRow,
    ReportRow,
    StatementRow,
    VendorRow,
)
from clearinghouse.disclosure.fields import LIMITS, CaseChanges
from clearinghouse.disclosure.models import (
    CaseMessage,
    CaseStatement,
    CaseStatus,
    CaseVendor,
    DisclosureCase,
    StatementStatus,
)
from clearinghouse.disclosure.publication import PublishedAdvisory

# --- requests ----------------------------------------------------------------------------


class CaseFieldsIn(BaseModel):
    """Fields of a case; left out means "as it is" (or, on opening, "as the report says")."""

    title: str | None = Field(default=None, max_length=LIMITS["title"])
    summary: str | None = Field(default=None, max_length=LIMITS["summary"])
    description: str | None = Field(default=None, max_length=LIMITS["description"])
    package_ecosystem: str | None = Field(default=None, max_length=64, examples=["PyPI"])
    package_name: str | None = Field(default=None, max_length=LIMITS["package_name"])
    affected_versions: str | None = Field(
        default=None,
        max_length=LIMITS["versions"],
        description="A comparator list or vers URI: '<3.6.9', '>=1.0, <2.0', 'vers:pypi/<2.0'",
    )
    cwe: str | None = Field(default=None, max_length=32, examples=["CWE-787"])
    cvss_vector: str | None = Field(default=None, max_length=200)
    severity: str | None = Field(
        default=None, max_length=16, description="Only without a CVSS vector, which decides it"
    )
    cve_id: str | None = Field(default=None, max_length=32)
    tlp: str | None = Field(default=None, max_length=20, examples=["AMBER", "CLEAR"])
    embargo_ends_at: datetime | None = Field(
        default=None, description="With a time zone; 90 days after opening when left out"
    )

    def changes(self) -> CaseChanges:
        return CaseChanges(**self.model_dump(exclude_unset=True))


class CaseIn(CaseFieldsIn):
    report_ids: list[int] = Field(
        min_length=1, max_length=50, description="Validated reports; the first gives defaults"
    )

    def changes(self) -> CaseChanges:
        return CaseChanges(**self.model_dump(exclude_unset=True, exclude={"report_ids"}))


class VendorIn(BaseModel):
    organisation: str = Field(min_length=1, max_length=64, description="Vendor organisation slug")


class StatementIn(BaseModel):
    status: StatementStatus
    versions: str = Field(default="", max_length=LIMITS["versions"])
    statement: str = Field(default="", max_length=LIMITS["statement"])
    vendor: str | None = Field(
        default=None, max_length=64, description="Coordinators: the vendor it is for"
    )


class MessageIn(BaseModel):
    body: str = Field(min_length=1, max_length=LIMITS["body"])
    parent_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class TransitionIn(BaseModel):
    to: CaseStatus
    reason: str = Field(default="", max_length=LIMITS["reason"])


# --- responses ---------------------------------------------------------------------------


class CaseSummaryOut(BaseModel):
    id: int
    title: str
    status: CaseStatus
    tlp: str
    severity: str | None
    embargo_ends_at: datetime
    opened_at: datetime

    @classmethod
    def of(cls, case: DisclosureCase) -> CaseSummaryOut:
        return cls(
            id=case.id,
            title=case.title,
            status=case.status,
            tlp=case.tlp,
            severity=case.severity,
            embargo_ends_at=case.embargo_ends_at,
            opened_at=case.opened_at,
        )


class VendorOut(BaseModel):
    organisation: str
    name: str
    invited_at: datetime
    removed_at: datetime | None = None
    removal_reason: str | None = None

    @classmethod
    def of(cls, row: VendorRow) -> VendorOut:
        return cls(
            organisation=row.slug,
            name=row.name,
            invited_at=row.invited_at,
            removed_at=row.removed_at,
            removal_reason=row.removal_reason,
        )


class InvitationOut(BaseModel):
    case_id: int
    organisation_id: int
    invited_at: datetime
    removed_at: datetime | None

    @classmethod
    def of(cls, row: CaseVendor) -> InvitationOut:
        return cls(
            case_id=row.case_id,
            organisation_id=row.organisation_id,
            invited_at=row.invited_at,
            removed_at=row.removed_at,
        )


class StatementOut(BaseModel):
    id: int
    vendor: str
    vendor_name: str
    status: StatementStatus
    versions: str
    statement: str
    author: str
    created_at: datetime
    current: bool = Field(description="The vendor's latest statement")

    @classmethod
    def of(cls, row: StatementRow) -> StatementOut:
        return cls(
            id=row.id,
            vendor=row.vendor_slug,
            vendor_name=row.vendor,
            status=row.status,
            versions=row.versions,
            statement=row.statement,
            author=row.author,
            created_at=row.created_at,
            current=row.current,
        )


class PostedStatementOut(BaseModel):
    id: int
    case_id: int
    organisation_id: int
    status: StatementStatus
    versions: str
    statement: str
    created_at: datetime

    @classmethod
    def of(cls, row: CaseStatement) -> PostedStatementOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            organisation_id=row.organisation_id,
            status=row.status,
            versions=row.versions,
            statement=row.statement,
            created_at=row.created_at,
        )


class MessageOut(BaseModel):
    id: int
    parent_id: int | None
    depth: int
    author: str
    organisation: str
    body: str
    created_at: datetime

    @classmethod
    def of(cls, row: MessageRow) -> MessageOut:
        return cls(
            id=row.id,
            parent_id=row.parent_id,
            depth=row.depth,
            author=row.author,
            organisation=row.organisation,
            body=row.body,
            created_at=row.created_at,
        )


class PostedMessageOut(BaseModel):
    id: int
    case_id: int
    parent_id: int | None
    body: str
    created_at: datetime

    @classmethod
    def of(cls, row: CaseMessage) -> PostedMessageOut:
        return cls(
            id=row.id,
            case_id=row.case_id,
            parent_id=row.parent_id,
            body=row.body,
            created_at=row.created_at,
        )


class ReportOut(BaseModel):
    id: int
    title: str
    status: str

    @classmethod
    def of(cls, row: ReportRow) -> ReportOut:
        return cls(id=row.id, title=row.title, status=row.status)


class CaseOut(CaseSummaryOut):
    view: Literal["coordinator", "vendor"]
    summary: str
    description: str
    package_ecosystem: str | None
    package_name: str | None
    affected_versions: str | None
    cwe: str | None
    cvss_vector: str | None
    cve_id: str | None
    embargo_in_force: bool
    embargo_days_left: int
    published_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    osv_id: str | None = Field(description="The record the case stored, once it produced one")
    next_states: list[CaseStatus]
    reports: list[ReportOut]
    vendors: list[VendorOut]
    statements: list[StatementOut]
    messages: list[MessageOut]

    @classmethod
    def of_contents(cls, contents: CaseContents) -> CaseOut:
        case = contents.case
        return cls(
            **CaseSummaryOut.of(case).model_dump(),
            view=contents.view,
            summary=case.summary,
            description=case.description,
            package_ecosystem=case.package_ecosystem,
            package_name=case.package_name,
            affected_versions=case.affected_versions,
            cwe=case.cwe,
            cvss_vector=case.cvss_vector,
            cve_id=case.cve_id,
            embargo_in_force=contents.embargo_in_force,
            embargo_days_left=contents.embargo_days_left,
            published_at=case.published_at,
            closed_at=case.closed_at,
            close_reason=case.close_reason,
            osv_id=contents.advisory.osv_id if contents.advisory else None,
            next_states=list(contents.next_states),
            reports=[ReportOut.of(r) for r in contents.reports],
            vendors=[VendorOut.of(v) for v in contents.vendors],
            statements=[StatementOut.of(s) for s in contents.statements],
            messages=[MessageOut.of(m) for m in contents.messages],
        )


class AdvisoryOut(BaseModel):
    case_id: int
    osv_id: str
    title: str
    tlp: str
    final: bool = Field(description="False for a draft: what the case would publish now")
    produced_at: datetime
    markdown: str
    html: str
    osv: dict[str, Any]

    @classmethod
    def of_draft(cls, case_id: int, title: str, tlp: str, draft: AdvisoryDraft) -> AdvisoryOut:
        return cls(
            case_id=case_id,
            osv_id=draft.osv_id,
            title=title,
            tlp=tlp,
            final=draft.final,
            produced_at=draft.produced_at,
            markdown=draft.markdown,
            html=draft.html,
            osv=draft.osv,
        )

    @classmethod
    def of_published(cls, published: PublishedAdvisory) -> AdvisoryOut:
        advisory = published.advisory
        return cls(
            case_id=published.case_id,
            osv_id=advisory.osv_id,
            title=published.title,
            tlp=published.tlp,
            final=True,
            produced_at=advisory.produced_at,
            markdown=advisory.markdown,
            html=advisory.html,
            osv=orjson.loads(advisory.osv_document),
        )


class AdvisorySummaryOut(BaseModel):
    case_id: int
    osv_id: str
    title: str
    tlp: str
    produced_at: datetime

    @classmethod
    def of(cls, published: PublishedAdvisory) -> AdvisorySummaryOut:
        return cls(
            case_id=published.case_id,
            osv_id=published.advisory.osv_id,
            title=published.title,
            tlp=published.tlp,
            produced_at=published.advisory.produced_at,
        )
