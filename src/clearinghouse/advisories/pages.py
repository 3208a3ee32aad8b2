"""Pages of CSAF advisories: the list, an advisory with its versions, draft/edit/publish forms.

Served under /csaf/advisories (the disclosure area's /advisories lists the advisories
cases produce). Plain forms, no JavaScript: each change is a POST carrying the session's
CSRF token, answered with a redirect (303) to the advisory, or the page again with the
error when the analyst can correct it. An advisory the viewer may not read is the 404 page.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import Response

from clearinghouse.advisories import service
from clearinghouse.advisories.errors import AdvisoryError, InvalidAdvisoryField
from clearinghouse.advisories.models import AdvisoryStatus
from clearinghouse.advisories.signing import Signer, instance_signer
from clearinghouse.api.deps import PageViewer, get_clock, get_db, get_settings, page_viewer
from clearinghouse.clock import Clock
from clearinghouse.errors import Conflict, Unauthenticated
from clearinghouse.identity.policy import AdvisoryAction, decide_advisory
from clearinghouse.identity.sessions import csrf_ok
from clearinghouse.identity.tlp import Tlp
from clearinghouse.settings import Settings
from clearinghouse.sharing.models import SharingGroup
from clearinghouse.storage import Database
from clearinghouse.web.csrf import CsrfRejected
from clearinghouse.web.templating import render

router = APIRouter(include_in_schema=False)

AdvisoryId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Viewer = Annotated[PageViewer, Depends(page_viewer)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Config = Annotated[Settings, Depends(get_settings)]
Csrf = Annotated[str, Form(max_length=512)]
TLP_CHOICES = [label.value for label in Tlp]


def _check_csrf(viewer: PageViewer, token: str) -> None:
    if viewer.web_session is None or not csrf_ok(viewer.web_session, token):
        raise CsrfRejected("the form's CSRF token does not match your session; reload the page")


def _signed_in(viewer: PageViewer) -> None:
    if not viewer.signed_in:
        raise Unauthenticated("log in to draft or publish advisories")


def _analyst(viewer: PageViewer, clock: Clock) -> bool:
    return bool(decide_advisory(viewer.principal, AdvisoryAction.advisory_write, now=clock.now()))


@router.get("/csaf/advisories")
def advisory_list(
    request: Request, viewer: Viewer, db: Db, clock: Now, error: str = "", status: int = 200
) -> Response:
    with db.read_session() as session:
        views = service.list_advisories(session, viewer.principal, now=clock.now())
    return render(
        request,
        "advisories_list.html",
        {"views": views, "analyst": _analyst(viewer, clock), "error": error},
        status_code=status,
    )


@router.post("/csaf/advisories")
def draft_form(
    request: Request,
    viewer: Viewer,
    db: Db,
    clock: Now,
    csrf_token: Csrf = "",
    vulnerability: Annotated[str, Form(max_length=255)] = "",
    case_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    try:
        case = int(case_id) if case_id.strip() else None
    except ValueError:
        return advisory_list(request, viewer, db, clock, "case: a case number", 422)
    try:
        with db.session() as session:
            advisory = service.create_draft(
                session,
                viewer.principal,
                vulnerability=vulnerability.strip() or None,
                case_id=case,
                now=clock.now(),
            )
            advisory_id = advisory.id
    except AdvisoryError as exc:
        return advisory_list(request, viewer, db, clock, str(exc), exc.status_code)
    return RedirectResponse(f"/csaf/advisories/{advisory_id}", status_code=303)


def _group_slug(session: Session, group_id: int | None) -> str:
    if group_id is None:
        return ""
    return session.scalar(select(SharingGroup.slug).where(SharingGroup.id == group_id)) or ""


def _detail(
    request: Request,
    viewer: PageViewer,
    db: Database,
    clock: Clock,
    advisory_id: int,
    *,
    error: str = "",
    failures: list[dict[str, str]] | None = None,
    status: int = 200,
) -> Response:
    with db.read_session() as session:
        view = service.get_advisory(
            session, viewer.principal, advisory_id=advisory_id, now=clock.now()
        )
        latest: dict[str, Any] | None = orjson.loads(view.latest.document) if view.latest else None
        return render(
            request,
            "advisories_detail.html",
            {
                "view": view,
                "advisory": view.advisory,
                "latest": latest,
                "analyst": view.analyst and _analyst(viewer, clock),
                "tlps": TLP_CHOICES,
                "final": view.advisory.status is AdvisoryStatus.final,
                "error": error,
                "failures": failures or [],
                "sharing_group": _group_slug(session, view.advisory.sharing_group_id)
                if view.analyst
                else "",
            },
            status_code=status,
        )


@router.get("/csaf/advisories/{advisory_id}")
def advisory_page(
    request: Request, advisory_id: AdvisoryId, viewer: Viewer, db: Db, clock: Now
) -> Response:
    return _detail(request, viewer, db, clock, advisory_id)


def _when(text: str) -> datetime | None:
    if not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidAdvisoryField("embargo_ends_at", f"{text!r} is not a date and time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@router.post("/csaf/advisories/{advisory_id}/edit")
def edit_form(
    request: Request,
    advisory_id: AdvisoryId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    csrf_token: Csrf = "",
    title: Annotated[str, Form(max_length=300)] = "",
    summary: Annotated[str, Form(max_length=20_000)] = "",
    tlp: Annotated[str, Form(max_length=32)] = "",
    sharing_group: Annotated[str, Form(max_length=64)] = "",
    embargo_ends_at: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    try:
        embargo = _when(embargo_ends_at)
        changes = service.DraftChanges(
            title=title or None,
            summary=summary or None,
            tlp=tlp or None,
            sharing_group=sharing_group,
            embargo_ends_at=embargo,
            clear_embargo=embargo is None,
        )
        with db.session() as session:
            service.update_draft(
                session, viewer.principal, advisory_id=advisory_id, changes=changes, now=clock.now()
            )
    except AdvisoryError as exc:
        if exc.status_code == 404:
            raise
        return _detail(request, viewer, db, clock, advisory_id, error=str(exc), status=422)
    return RedirectResponse(f"/csaf/advisories/{advisory_id}", status_code=303)


@router.post("/csaf/advisories/{advisory_id}/publish")
def publish_form(
    request: Request,
    advisory_id: AdvisoryId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    settings: Config,
    csrf_token: Csrf = "",
    status: Annotated[str, Form(max_length=16)] = "final",
    summary: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    principal = viewer.principal

    def signer_for(session: Session) -> Signer:
        return instance_signer(settings, session=session, actor=principal.actor)

    try:
        if status not in ("interim", "final"):
            raise InvalidAdvisoryField("status", "interim or final")
        with db.session() as session:
            service.publish(
                session,
                principal,
                advisory_id=advisory_id,
                status=AdvisoryStatus(status),
                summary=summary,
                settings=settings,
                signer_for=signer_for,
                now=clock.now(),
            )
    except AdvisoryError as exc:
        if exc.status_code == 404:
            raise
        failures = getattr(exc, "failures", None)
        code = 409 if isinstance(exc, Conflict) else 422
        return _detail(
            request, viewer, db, clock, advisory_id, error=str(exc), failures=failures, status=code
        )
    return RedirectResponse(f"/csaf/advisories/{advisory_id}", status_code=303)
