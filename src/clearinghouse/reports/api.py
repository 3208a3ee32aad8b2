"""REST API of reports: /api/v1/reports (submit, queue, read, triage, evidence, merge, split).

Routes only translate: who is asking (bearer token), now (the app's clock), and the
service that decides and acts. A report the caller may not see is a 404, exactly like one
that does not exist. Submissions are read as raw bytes (size-limited) so that the report's
content hash is taken over exactly what the client sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearinghouse.api.deps import current_principal, get_clock, get_db
from clearinghouse.api.problems import PROBLEM_JSON
from clearinghouse.clock import Clock
from clearinghouse.identity.principal import Principal
from clearinghouse.reports import triage
from clearinghouse.reports.attachments import BlobStore, attachments_root
from clearinghouse.reports.errors import InvalidReport, ReportTooLarge
from clearinghouse.reports.intake import (
    MAX_SUBMISSION_BYTES,
    ReportDraft,
    draft_from_structured,
    drafts_from_bytes,
    recheck_duplicates,
    submit_report,
)
from clearinghouse.reports.models import DiscoveredBy, Report, ReportStatus
from clearinghouse.reports.queue import Order, QueueFilter, triage_queue
from clearinghouse.reports.schemas import (
    BulkOut,
    BulkTransitionIn,
    EvidenceIn,
    EvidenceOut,
    MergeIn,
    QueueOut,
    ReportOut,
    SplitIn,
    SsvcIn,
    StructuredReportIn,
    SubmissionOut,
    TransitionIn,
)
from clearinghouse.reports.scoring import SsvcInputs
from clearinghouse.reports.views import (
    detail_out,
    get_attachment,
    get_report,
    summary_out,
    view_of,
)
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

router = APIRouter(prefix="/reports", tags=["reports"])

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: _PROBLEM for code in (401, 403, 404, 409, 413, 422)
}

Who = Annotated[Principal, Depends(current_principal)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def read_body(request: Request, limit: int = MAX_SUBMISSION_BYTES) -> bytes:
    """The request body, refused as soon as it passes `limit`."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise ReportTooLarge(f"a submission may be at most {limit // (1024 * 1024)} MiB")
    return bytes(body)


def blob_store(request: Request) -> BlobStore:
    """The instance's attachment store: beside the database unless the app names a folder."""
    root = getattr(request.app.state, "attachments_root", None)
    if root is None:
        settings: Settings = request.app.state.settings
        root = attachments_root(settings.database_url)
    return BlobStore(root)


Blobs = Annotated[BlobStore, Depends(blob_store)]


def take_in(
    db: Database,
    principal: Principal,
    drafts: list[ReportDraft],
    *,
    blobs: BlobStore,
    now: datetime,
) -> list[Report]:
    """Store the drafts in one transaction, then look for duplicates once more after it."""
    with db.session() as session:
        reports = [submit_report(session, principal, d, blobs=blobs, now=now) for d in drafts]
    unlinked = [r.id for r in reports if r.duplicate_of_id is None]
    if unlinked:
        recheck_duplicates(db, unlinked, now=now)
        with db.read_session() as session:
            fresh = {
                r.id: r for r in session.scalars(select(Report).where(Report.id.in_(unlinked)))
            }
        reports = [fresh.get(r.id, r) for r in reports]
    return reports


@router.post(
    "",
    status_code=201,
    response_model=SubmissionOut,
    responses=_ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": StructuredReportIn.model_json_schema()}},
        }
    },
)
async def submit_structured(
    request: Request, principal: Who, db: Db, clock: Now, blobs: Blobs
) -> SubmissionOut:
    """Submit one structured report (the shape `StructuredReportIn` describes)."""
    data = await read_body(request)
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidReport(f"not valid JSON: {exc}") from None
    draft = await run_in_threadpool(draft_from_structured, document)
    reports = await run_in_threadpool(take_in, db, principal, [draft], blobs=blobs, now=clock.now())
    return SubmissionOut(reports=[summary_out(r, view=view_of(principal)) for r in reports])


@router.post("/import", status_code=201, response_model=SubmissionOut, responses=_ERRORS)
async def submit_file(
    request: Request,
    principal: Who,
    db: Db,
    clock: Now,
    blobs: Blobs,
    filename: Annotated[str, Query(min_length=1, max_length=255)] = "report.json",
    discovered_by: DiscoveredBy | None = None,
    discovered_by_name: Annotated[str | None, Query(max_length=200)] = None,
    model_run: Annotated[str | None, Query(max_length=200)] = None,
) -> SubmissionOut:
    """Submit a file as the body: a SARIF 2.1.0 log (one report per result), an OSV draft
    (JSON, or YAML when `filename` ends in .yaml), or a structured report."""
    data = await read_body(request)
    drafts = await run_in_threadpool(
        drafts_from_bytes,
        data,
        filename=filename,
        discovered_by=discovered_by,
        discovered_by_name=discovered_by_name,
        model_run=model_run,
    )
    if not drafts:
        return SubmissionOut(reports=[])
    reports = await run_in_threadpool(take_in, db, principal, drafts, blobs=blobs, now=clock.now())
    return SubmissionOut(reports=[summary_out(r, view=view_of(principal)) for r in reports])


Status = Literal["received", "triaged", "validating", "validated", "rejected", "open", "all"]


def statuses_of(values: list[str]) -> tuple[ReportStatus, ...]:
    wanted: list[ReportStatus] = []
    for value in values or ["open"]:
        if value == "open":
            wanted += list(triage.OPEN_STATES)
        elif value == "all":
            return ()
        else:
            wanted.append(ReportStatus(value))
    return tuple(dict.fromkeys(wanted))


@router.get("", response_model=QueueOut, responses=_ERRORS)
def queue(
    principal: Who,
    db: Db,
    clock: Now,
    status: Annotated[list[Status], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    model_run: Annotated[str | None, Query(max_length=200)] = None,
    ecosystem: Annotated[str | None, Query(max_length=64)] = None,
    package: Annotated[str | None, Query(max_length=400)] = None,
    discovered_by: DiscoveredBy | None = None,
    min_cvss: Annotated[float | None, Query(ge=0, le=10)] = None,
    known_exploited: bool | None = None,
    duplicates: Literal["show", "hide", "only"] = "show",
    overdue: bool = False,
    q: Annotated[str | None, Query(max_length=200)] = None,
    order: Order = "priority",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> QueueOut:
    """The triage queue (analysts), or your own reports (reporters), one page at a time."""
    wanted = QueueFilter(
        statuses=statuses_of(list(status)),
        model_run=model_run,
        ecosystem=ecosystem,
        package=package,
        discovered_by=discovered_by,
        min_cvss=min_cvss,
        known_exploited=known_exploited,
        duplicates=duplicates,
        overdue=overdue,
        text=q,
    )
    with db.read_session() as session:
        result = triage_queue(
            session,
            principal,
            wanted=wanted,
            order=order,
            page=page,
            per_page=per_page,
            now=clock.now(),
        )
        view = view_of(principal)
        return QueueOut(
            total=result.total,
            page=result.page,
            per_page=result.per_page,
            reports=[summary_out(r, view=view) for r in result.reports],
        )


@router.get("/{report_id}", response_model=ReportOut, responses=_ERRORS)
def read_report(report_id: Id, principal: Who, db: Db) -> ReportOut:
    """One report: analysts see its links, evidence and history; its reporter a redaction."""
    with db.read_session() as session:
        return detail_out(get_report(session, principal, report_id))


@router.get("/{report_id}/attachments/{attachment_id}", responses=_ERRORS)
def download_attachment(
    report_id: Id, attachment_id: Id, principal: Who, db: Db, blobs: Blobs
) -> Response:
    """An attachment's bytes, always as a download (never rendered by the browser)."""
    with db.read_session() as session:
        attachment = get_attachment(session, principal, report_id, attachment_id)
        sha256, filename = attachment.sha256, attachment.filename
    return attachment_response(blobs.get(sha256), filename)


def attachment_response(data: bytes, filename: str) -> Response:
    quoted = filename.replace('"', "_")
    return Response(
        data,
        media_type="application/octet-stream",
        headers={
            "content-disposition": f'attachment; filename="{quoted}"',
            "cache-control": "private, no-store",
        },
    )


def _detail(db: Database, principal: Principal, report_id: int) -> ReportOut:
    with db.read_session() as session:
        return detail_out(get_report(session, principal, report_id))


@router.post("/{report_id}/transitions", response_model=ReportOut, responses=_ERRORS)
def move(report_id: Id, body: TransitionIn, principal: Who, db: Db, clock: Now) -> ReportOut:
    """Move a report through triage (received, triaged, validating, validated, rejected)."""
    with db.session() as session:
        triage.transition(
            session,
            principal,
            report_id=report_id,
            to=body.to,
            reason=body.reason,
            rejection_reason=body.rejection_reason,
            now=clock.now(),
        )
    return _detail(db, principal, report_id)


@router.post("/bulk", response_model=BulkOut, responses=_ERRORS)
def bulk(body: BulkTransitionIn, principal: Who, db: Db, clock: Now) -> BulkOut:
    """One move for many reports: by ids, or every open report of a model run."""
    with db.session() as session:
        outcome = triage.bulk_transition(
            session,
            principal,
            report_ids=body.report_ids,
            model_run=body.model_run,
            to=body.to,
            reason=body.reason,
            rejection_reason=body.rejection_reason,
            now=clock.now(),
        )
    return BulkOut(changed=outcome.changed, skipped=outcome.skipped)


@router.post(
    "/{report_id}/evidence", status_code=201, response_model=EvidenceOut, responses=_ERRORS
)
def add_evidence(
    report_id: Id, body: EvidenceIn, principal: Who, db: Db, clock: Now
) -> EvidenceOut:
    """Attach validation evidence: reproduction steps, environment, result."""
    with db.session() as session:
        evidence = triage.record_evidence(
            session,
            principal,
            report_id=report_id,
            steps=body.steps,
            environment=body.environment,
            result=body.result,
            notes=body.notes,
            now=clock.now(),
        )
        return EvidenceOut(
            id=evidence.id,
            steps=evidence.steps,
            environment=evidence.environment,
            result=evidence.result,
            notes=evidence.notes,
            recorded_by=evidence.recorded_by,
            recorded_at=evidence.recorded_at,
        )


@router.post("/{report_id}/merge", response_model=ReportOut, responses=_ERRORS)
def merge(report_id: Id, body: MergeIn, principal: Who, db: Db, clock: Now) -> ReportOut:
    """Merge a report into the one it repeats."""
    with db.session() as session:
        triage.merge(
            session,
            principal,
            report_id=report_id,
            into=body.into,
            reason=body.reason,
            now=clock.now(),
        )
    return _detail(db, principal, report_id)


@router.post("/{report_id}/split", response_model=ReportOut, responses=_ERRORS)
def split(report_id: Id, body: SplitIn, principal: Who, db: Db, clock: Now) -> ReportOut:
    """Undo a duplicate link."""
    with db.session() as session:
        triage.split(session, principal, report_id=report_id, reason=body.reason, now=clock.now())
    return _detail(db, principal, report_id)


@router.put("/{report_id}/ssvc", response_model=ReportOut, responses=_ERRORS)
def set_ssvc(report_id: Id, body: SsvcIn, principal: Who, db: Db, clock: Now) -> ReportOut:
    """Set SSVC decision points and score the report again (KEV and blast radius too)."""
    inputs = SsvcInputs.from_json({"chosen": body.model_dump(exclude_none=True)})
    with db.session() as session:
        triage.rescore(session, principal, report_id=report_id, ssvc_inputs=inputs, now=clock.now())
    return _detail(db, principal, report_id)
