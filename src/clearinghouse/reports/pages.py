"""Pages of reports: the submission form, the triage queue (filter, order, bulk action), and the
report page (duplicates with scores, evidence, history, the triage forms).

Plain forms, no JavaScript: every change is a POST carrying the signed-in session's CSRF
token, answered with a redirect (303) to the page that shows the result. A report the
viewer may not see gets the same 404 page as one that does not exist.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from clearinghouse.api.deps import PageViewer, get_clock, get_db, get_settings, page_viewer
from clearinghouse.clock import Clock
from clearinghouse.errors import Unauthenticated
from clearinghouse.identity.policy import ReportAction, decide_report
from clearinghouse.identity.sessions import csrf_ok
from clearinghouse.reports import triage
from clearinghouse.reports.api import Blobs, attachment_response, statuses_of, take_in
from clearinghouse.reports.attachments import (
    MAX_ATTACHMENT_BYTES,
    safe_filename,
    safe_media_type,
)
from clearinghouse.reports.errors import AttachmentTooLarge, ReportError, ReportTooLarge
from clearinghouse.reports.intake import (
    MAX_SUBMISSION_BYTES,
    AttachmentDraft,
    draft_from_structured,
    drafts_from_bytes,
)
from clearinghouse.reports.models import (
    DiscoveredBy,
    EvidenceResult,
    RejectionReason,
    ReportStatus,
)
from clearinghouse.reports.queue import ORDERS, Order, QueueFilter, triage_queue
from clearinghouse.reports.scoring import SsvcInputs
from clearinghouse.reports.views import get_attachment, get_report
from clearinghouse.settings import Settings
from clearinghouse.storage import Database
from clearinghouse.web.csrf import CsrfRejected
from clearinghouse.web.templating import render

router = APIRouter()

ReportId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Viewer = Annotated[PageViewer, Depends(page_viewer)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Config = Annotated[Settings, Depends(get_settings)]
Csrf = Annotated[str, Form(max_length=512)]

STATUS_CHOICES = ["open", "received", "triaged", "validating", "validated", "rejected", "all"]
SSVC_POINTS: dict[str, list[str]] = {
    "exploitation": ["none", "public_poc", "active"],
    "automatable": ["no", "yes"],
    "technical_impact": ["partial", "total"],
    "mission_prevalence": ["minimal", "support", "essential"],
    "public_wellbeing": ["minimal", "material", "irreversible"],
    "system_exposure": ["small", "controlled", "open"],
    "human_impact": ["low", "medium", "high", "very_high"],
}


def _signed_in(viewer: PageViewer) -> None:
    if not viewer.signed_in:
        raise Unauthenticated("log in to see reports")


def _check_csrf(viewer: PageViewer, token: str) -> None:
    if viewer.web_session is None or not csrf_ok(viewer.web_session, token):
        raise CsrfRejected("the form's CSRF token does not match your session; reload the page")


def _is_analyst(viewer: PageViewer) -> bool:
    return bool(decide_report(viewer.principal, ReportAction.report_triage))


# --- the submission form ------------------------------------------------------------------


def _form_page(
    request: Request, *, values: dict[str, str] | None = None, error: str = "", status: int = 200
) -> Response:
    return render(
        request,
        "reports_new.html",
        {
            "values": values or {},
            "error": error,
            "discovered_by": [d.value for d in DiscoveredBy],
            "tlps": ["AMBER", "AMBER+STRICT", "RED", "GREEN", "CLEAR"],
            "max_mib": MAX_ATTACHMENT_BYTES // (1024 * 1024),
        },
        status_code=status,
    )


@router.get("/reports/new")
def new_report(request: Request, viewer: Viewer) -> Response:
    _signed_in(viewer)
    return _form_page(request)


def _read_upload(upload: UploadFile | None, limit: int) -> bytes | None:
    if upload is None or not upload.filename:
        return None
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise (AttachmentTooLarge if limit == MAX_ATTACHMENT_BYTES else ReportTooLarge)(
            f"{safe_filename(upload.filename)}: at most {limit // (1024 * 1024)} MiB"
        )
    return data


def _structured(values: dict[str, str]) -> dict[str, Any]:
    """The form's fields as a structured report: only what the person filled in."""
    document: dict[str, Any] = {
        "title": values.get("title", ""),
        "description": values.get("description", ""),
        "discovered_by": values.get("discovered_by") or "person",
        "tlp": values.get("tlp") or "AMBER",
    }
    if values.get("ecosystem") or values.get("package"):
        document["package"] = {
            "ecosystem": values.get("ecosystem", ""),
            "name": values.get("package", ""),
        }
    events = []
    if values.get("introduced") or values.get("fixed"):
        events.append({"introduced": values.get("introduced") or "0"})
        if values.get("fixed"):
            events.append({"fixed": values["fixed"]})
        document["affected"] = {"ranges": [{"type": "ECOSYSTEM", "events": events}]}
    for name in ("cwe", "cvss_vector", "location", "discovered_by_name", "model_run"):
        if values.get(name):
            document[name] = values[name]
    identifiers = [i.strip() for i in values.get("identifiers", "").split(",") if i.strip()]
    if identifiers:
        document["identifiers"] = identifiers
    return document


@router.post("/reports/new")
async def submit_report_form(
    request: Request,
    viewer: Viewer,
    db: Db,
    clock: Now,
    blobs: Blobs,
    csrf_token: Csrf = "",
    title: Annotated[str, Form(max_length=300)] = "",
    description: Annotated[str, Form(max_length=100_000)] = "",
    ecosystem: Annotated[str, Form(max_length=64)] = "",
    package: Annotated[str, Form(max_length=400)] = "",
    introduced: Annotated[str, Form(max_length=200)] = "",
    fixed: Annotated[str, Form(max_length=200)] = "",
    cwe: Annotated[str, Form(max_length=32)] = "",
    cvss_vector: Annotated[str, Form(max_length=200)] = "",
    location: Annotated[str, Form(max_length=2000)] = "",
    identifiers: Annotated[str, Form(max_length=2000)] = "",
    discovered_by: Annotated[str, Form(max_length=16)] = "person",
    discovered_by_name: Annotated[str, Form(max_length=200)] = "",
    model_run: Annotated[str, Form(max_length=200)] = "",
    tlp: Annotated[str, Form(max_length=16)] = "AMBER",
    attachment: Annotated[UploadFile | None, File()] = None,
    report_file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    values = {
        "title": title,
        "description": description,
        "ecosystem": ecosystem.strip(),
        "package": package.strip(),
        "introduced": introduced.strip(),
        "fixed": fixed.strip(),
        "cwe": cwe.strip(),
        "cvss_vector": cvss_vector.strip(),
        "location": location.strip(),
        "identifiers": identifiers,
        "discovered_by": discovered_by,
        "discovered_by_name": discovered_by_name.strip(),
        "model_run": model_run.strip(),
        "tlp": tlp,
    }
    try:
        file_data = _read_upload(report_file, MAX_SUBMISSION_BYTES)
        if file_data is not None:
            assert report_file is not None
            drafts = await run_in_threadpool(
                drafts_from_bytes,
                file_data,
                filename=safe_filename(report_file.filename or "report.json"),
                model_run=values["model_run"] or None,
            )
        else:
            draft = await run_in_threadpool(draft_from_structured, _structured(values))
            attached = _read_upload(attachment, MAX_ATTACHMENT_BYTES)
            if attached is not None and attachment is not None:
                draft = replace(
                    draft,
                    attachments=(
                        AttachmentDraft(
                            safe_filename(attachment.filename or "attachment"),
                            safe_media_type(attachment.content_type),
                            attached,
                        ),
                    ),
                )
            drafts = [draft]
        if not drafts:
            raise ReportError("the file holds no report (a SARIF log without results?)")
        reports = await run_in_threadpool(
            take_in, db, viewer.principal, drafts, blobs=blobs, now=clock.now()
        )
    except ReportError as exc:
        # The person fixes the field named in the message and sends the form again.
        return _form_page(request, values=values, error=str(exc), status=exc.status_code)
    if len(reports) == 1:
        return RedirectResponse(f"/reports/{reports[0].id}", status_code=303)
    run = reports[0].model_run
    target = f"/reports?{urlencode({'model_run': run, 'status': 'all'})}" if run else "/reports"
    return RedirectResponse(target, status_code=303)


# --- the triage queue ---------------------------------------------------------------------


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value <= 10 else None


def _int(text: str | None, default: int) -> int:
    try:
        return max(1, min(int(text), 100_000)) if text else default
    except ValueError:
        return default


@router.get("/reports")
def queue_page(request: Request, viewer: Viewer, db: Db, clock: Now) -> Response:
    _signed_in(viewer)
    params = request.query_params
    # Unknown filter values show the default rather than an error: they come from a URL.
    status = params.get("status") or "open"
    status = status if status in STATUS_CHOICES else "open"
    order_text = params.get("order") or "priority"
    order: Order = order_text if order_text in ORDERS else "priority"
    duplicates = params.get("duplicates") or "show"
    duplicates = duplicates if duplicates in ("show", "hide", "only") else "show"
    selected = {
        "status": status,
        "order": order,
        "duplicates": duplicates,
        "model_run": (params.get("model_run") or "").strip()[:200],
        "ecosystem": (params.get("ecosystem") or "").strip()[:64],
        "package": (params.get("package") or "").strip()[:400],
        "min_cvss": (params.get("min_cvss") or "").strip()[:8],
        "q": (params.get("q") or "").strip()[:200],
        "overdue": "1" if params.get("overdue") else "",
    }
    wanted = QueueFilter(
        statuses=statuses_of([status]),
        model_run=selected["model_run"] or None,
        ecosystem=selected["ecosystem"] or None,
        package=selected["package"] or None,
        min_cvss=_float(selected["min_cvss"]),
        duplicates=duplicates,  # type: ignore[arg-type]
        overdue=bool(selected["overdue"]),
        text=selected["q"] or None,
    )
    now = clock.now()
    with db.read_session() as session:
        result = triage_queue(
            session,
            viewer.principal,
            wanted=wanted,
            order=order,
            page=_int(params.get("page"), 1),
            per_page=50,
            now=now,
        )
    query = {k: v for k, v in selected.items() if v}
    return render(
        request,
        "reports_queue.html",
        {
            "result": result,
            "selected": selected,
            "statuses": STATUS_CHOICES,
            "orders": ORDERS,
            "analyst": _is_analyst(viewer),
            "now": now,
            "moves": [s.value for s in ReportStatus],
            "rejections": [r.value for r in RejectionReason],
            "query": urlencode(query),
            "page_query": lambda page: urlencode({**query, "page": page}),
            "done": params.get("done", "")[:20],
        },
    )


@router.post("/reports/bulk")
async def bulk_action(
    request: Request,
    viewer: Viewer,
    db: Db,
    clock: Now,
    csrf_token: Csrf = "",
    to: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
    rejection_reason: Annotated[str, Form(max_length=32)] = "",
    whole_run: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    form = await request.form()
    ids = [int(v) for v in form.getlist("report_id") if isinstance(v, str) and v.isdigit()][:5000]
    if to not in {s.value for s in ReportStatus}:
        raise ReportError("choose the state to move the reports to")
    rejection = (
        RejectionReason(rejection_reason)
        if rejection_reason in {r.value for r in RejectionReason}
        else None
    )

    def act() -> int:
        with db.session() as session:
            outcome = triage.bulk_transition(
                session,
                viewer.principal,
                report_ids=ids,
                model_run=whole_run.strip() or None,
                to=ReportStatus(to),
                reason=reason,
                rejection_reason=rejection if to == ReportStatus.rejected.value else None,
                now=clock.now(),
            )
        return len(outcome.changed)

    changed = await run_in_threadpool(act)
    query = back.lstrip("?") if back and "\n" not in back and "\r" not in back else ""
    separator = "&" if query else ""
    return RedirectResponse(f"/reports?{query}{separator}done={changed}", status_code=303)


# --- the report page ----------------------------------------------------------------------


@router.get("/reports/{report_id}")
def report_page(
    request: Request, report_id: ReportId, viewer: Viewer, db: Db, clock: Now
) -> Response:
    _signed_in(viewer)
    now = clock.now()
    with db.read_session() as session:
        detail = get_report(session, viewer.principal, report_id)
    return render(
        request,
        "reports_page.html",
        {
            "detail": detail,
            "report": detail.report,
            "now": now,
            "overdue": detail.overdue(now),
            "analyst": detail.view == "analyst",
            "moves": sorted(s.value for s in triage.ALLOWED[detail.report.status]),
            "rejections": [r.value for r in RejectionReason],
            "results": [r.value for r in EvidenceResult],
            "ssvc_points": SSVC_POINTS,
            "age": _age,
        },
    )


def _age(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours = rest // 3600
    return f"{days} d {hours} h" if days else f"{hours} h {rest % 3600 // 60} min"


def _back(report_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/reports/{report_id}{anchor}", status_code=303)


@router.post("/reports/{report_id}/transition")
def transition_form(
    report_id: ReportId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    csrf_token: Csrf = "",
    to: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
    rejection_reason: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    if to not in {s.value for s in ReportStatus}:
        raise ReportError("choose the state to move the report to")
    rejection = (
        RejectionReason(rejection_reason)
        if to == ReportStatus.rejected.value
        and rejection_reason in {r.value for r in RejectionReason}
        else None
    )
    with db.session() as session:
        triage.transition(
            session,
            viewer.principal,
            report_id=report_id,
            to=ReportStatus(to),
            reason=reason,
            rejection_reason=rejection,
            now=clock.now(),
        )
    return _back(report_id, "#history")


@router.post("/reports/{report_id}/evidence")
def evidence_form(
    report_id: ReportId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    csrf_token: Csrf = "",
    steps: Annotated[str, Form(max_length=50_000)] = "",
    environment: Annotated[str, Form(max_length=10_000)] = "",
    result: Annotated[str, Form(max_length=32)] = "",
    notes: Annotated[str, Form(max_length=50_000)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    if result not in {r.value for r in EvidenceResult}:
        raise ReportError("choose the result: reproduced, not_reproduced or inconclusive")
    with db.session() as session:
        triage.record_evidence(
            session,
            viewer.principal,
            report_id=report_id,
            steps=steps,
            environment=environment,
            result=EvidenceResult(result),
            notes=notes,
            now=clock.now(),
        )
    return _back(report_id, "#evidence")


@router.post("/reports/{report_id}/merge")
def merge_form(
    report_id: ReportId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    csrf_token: Csrf = "",
    into: Annotated[int, Form(ge=1, le=2**31 - 1)] = 0,
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    with db.session() as session:
        triage.merge(
            session,
            viewer.principal,
            report_id=report_id,
            into=into,
            reason=reason,
            now=clock.now(),
        )
    return _back(report_id, "#duplicates")


@router.post("/reports/{report_id}/split")
def split_form(
    report_id: ReportId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    csrf_token: Csrf = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    with db.session() as session:
        triage.split(session, viewer.principal, report_id=report_id, reason=reason, now=clock.now())
    return _back(report_id, "#duplicates")


@router.post("/reports/{report_id}/ssvc")
async def ssvc_form(
    request: Request, report_id: ReportId, viewer: Viewer, db: Db, clock: Now, csrf_token: Csrf = ""
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    form = await request.form()
    chosen = {
        name: str(form.get(name))
        for name, choices in SSVC_POINTS.items()
        if str(form.get(name, "")) in choices
    }
    inputs = SsvcInputs.from_json({"chosen": chosen})

    def act() -> None:
        with db.session() as session:
            triage.rescore(
                session, viewer.principal, report_id=report_id, ssvc_inputs=inputs, now=clock.now()
            )

    await run_in_threadpool(act)
    return _back(report_id, "#scores")


@router.get("/reports/{report_id}/attachments/{attachment_id}")
def attachment_download(
    report_id: ReportId, attachment_id: ReportId, viewer: Viewer, db: Db, blobs: Blobs
) -> Response:
    _signed_in(viewer)
    with db.read_session() as session:
        attachment = get_attachment(session, viewer.principal, report_id, attachment_id)
        sha256, filename = attachment.sha256, attachment.filename
    return attachment_response(blobs.get(sha256), filename)
