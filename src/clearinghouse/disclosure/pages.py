"""Pages of coordinated disclosure: the case list for coordinators, the case page for vendors.

Plain forms, no JavaScript: every change is a POST carrying the signed-in session's CSRF
token, answered with a redirect (303) to the case page, or the page again with the error
when the person can correct it. A case the viewer takes no part in is the same 404 page
as a case that does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from clearinghouse.api.deps import PageViewer, get_clock, get_db, page_viewer
from clearinghouse.clock import Clock
from clearinghouse.disclosure import contents, publication, service
from clearinghouse.disclosure.contents import CaseContents, MessageRow
from clearinghouse.disclosure.errors import DisclosureError, InvalidCaseField, UnknownCase
from clearinghouse.disclosure.fields import LIMITS, CaseChanges
from clearinghouse.disclosure.models import CaseStatus, StatementStatus
from clearinghouse.errors import Unauthenticated
from clearinghouse.identity.models import Role
from clearinghouse.identity.sessions import csrf_ok
from clearinghouse.identity.tlp import Tlp
from clearinghouse.storage import Database
from clearinghouse.web.csrf import CsrfRejected
from clearinghouse.web.templating import render

router = APIRouter()

CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Viewer = Annotated[PageViewer, Depends(page_viewer)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Csrf = Annotated[str, Form(max_length=512)]
# Replies deeper than this are shown at this depth: a page must not nest without end.
MAX_THREAD_DEPTH = 6
TLP_CHOICES = [label.value for label in Tlp]


@dataclass
class MessageNode:
    message: MessageRow
    replies: list[MessageNode] = field(default_factory=list)


def message_tree(rows: tuple[MessageRow, ...]) -> list[MessageNode]:
    """The depth-first rows as a tree, flattened below `MAX_THREAD_DEPTH`."""
    roots: list[MessageNode] = []
    path: list[MessageNode] = []
    for row in rows:
        node = MessageNode(row)
        depth = min(row.depth, MAX_THREAD_DEPTH, len(path))
        del path[depth:]
        (path[-1].replies if path else roots).append(node)
        path.append(node)
    return roots


def _signed_in(viewer: PageViewer) -> None:
    if not viewer.signed_in:
        raise Unauthenticated("log in to see your coordinated disclosure cases")


def _check_csrf(viewer: PageViewer, token: str) -> None:
    if viewer.web_session is None or not csrf_ok(viewer.web_session, token):
        raise CsrfRejected("the form's CSRF token does not match your session; reload the page")


def _when(text: str, field_name: str) -> datetime:
    """A form's date and time (`datetime-local`, read as UTC) or a full ISO 8601 moment."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidCaseField(field_name, f"{text!r} is not a date and time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _case_page(
    request: Request,
    viewer: PageViewer,
    case: CaseContents,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    return render(
        request,
        "disclosure_case.html",
        {
            "c": case,
            "case": case.case,
            "thread": message_tree(case.messages),
            "current": [s for s in case.statements if s.current],
            "history": [s for s in case.statements if not s.current],
            "statuses": [s.value for s in StatementStatus],
            "tlps": TLP_CHOICES,
            "error": error,
            "limits": LIMITS,
            "may_state": case.view == "coordinator" or viewer.principal.role == Role.vendor,
        },
        status_code=status,
    )


def _show(
    request: Request,
    viewer: PageViewer,
    db: Database,
    clock: Clock,
    case_id: int,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    with db.read_session() as session:
        case = contents.case_contents(session, viewer.principal, case_id=case_id, now=clock.now())
        return _case_page(request, viewer, case, error=error, status=status)


def _back(case_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/cases/{case_id}{anchor}", status_code=303)


# --- the list --------------------------------------------------------------------------------


def _list_page(
    request: Request,
    viewer: PageViewer,
    db: Database,
    clock: Clock,
    *,
    error: str = "",
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    now = clock.now()
    with db.read_session() as session:
        cases = service.list_cases(session, viewer.principal, now=now)
    return render(
        request,
        "disclosure_list.html",
        {
            "cases": cases,
            "now": now,
            "coordinator": viewer.principal.role == Role.operator,
            "tlps": TLP_CHOICES,
            "error": error,
            "form": form or {},
        },
        status_code=status,
    )


@router.get("/cases")
def case_list(request: Request, viewer: Viewer, db: Db, clock: Now) -> Response:
    _signed_in(viewer)
    return _list_page(request, viewer, db, clock)


@router.post("/cases")
def case_open(
    request: Request,
    viewer: Viewer,
    db: Db,
    clock: Now,
    report_ids: Annotated[str, Form(max_length=500)] = "",
    embargo_ends_at: Annotated[str, Form(max_length=40)] = "",
    tlp: Annotated[str, Form(max_length=20)] = "",
    package_ecosystem: Annotated[str, Form(max_length=64)] = "",
    package_name: Annotated[str, Form(max_length=LIMITS["package_name"])] = "",
    affected_versions: Annotated[str, Form(max_length=LIMITS["versions"])] = "",
    csrf_token: Csrf = "",
) -> Response:
    """Open a case; blank fields take the first report's values."""
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    form = {
        "report_ids": report_ids,
        "embargo_ends_at": embargo_ends_at,
        "tlp": tlp,
        "package_ecosystem": package_ecosystem,
        "package_name": package_name,
        "affected_versions": affected_versions,
    }
    try:
        ids = [int(part) for part in report_ids.replace(",", " ").split()]
        if any(i < 1 or i > 2**31 - 1 for i in ids):
            raise ValueError
    except ValueError:
        return _list_page(
            request,
            viewer,
            db,
            clock,
            status=422,
            form=form,
            error="report_ids: give report numbers, e.g. 12, 14",
        )
    try:
        changes = CaseChanges(
            tlp=tlp or None,
            embargo_ends_at=_when(embargo_ends_at, "embargo_ends_at") if embargo_ends_at else None,
            package_ecosystem=package_ecosystem or None,
            package_name=package_name or None,
            affected_versions=affected_versions or None,
        )
        with db.session() as session:
            case = service.open_case(
                session, viewer.principal, report_ids=ids, changes=changes, now=clock.now()
            )
            case_id = case.id
    except DisclosureError as exc:
        return _list_page(
            request, viewer, db, clock, error=str(exc), status=exc.status_code, form=form
        )
    return _back(case_id)


# --- one case ----------------------------------------------------------------------------------


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: CaseId, viewer: Viewer, db: Db, clock: Now) -> Response:
    _signed_in(viewer)
    return _show(request, viewer, db, clock, case_id)


def _act(
    request: Request,
    viewer: PageViewer,
    db: Database,
    clock: Clock,
    case_id: int,
    csrf_token: str,
    anchor: str,
    action: Callable[[Session], None],
) -> Response:
    """Run `action(session)` for a form; a mistake the person can fix shows on the page."""
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    try:
        with db.session() as session:
            action(session)
    except UnknownCase:
        raise
    except DisclosureError as exc:
        return _show(request, viewer, db, clock, case_id, error=str(exc), status=exc.status_code)
    return _back(case_id, anchor)


@router.post("/cases/{case_id}/statements")
def statement_form(
    request: Request,
    case_id: CaseId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    status: Annotated[str, Form(max_length=32)] = "",
    versions: Annotated[str, Form(max_length=LIMITS["versions"])] = "",
    statement: Annotated[str, Form(max_length=LIMITS["statement"])] = "",
    vendor: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Csrf = "",
) -> Response:
    def act(session: Session) -> None:
        if status not in {s.value for s in StatementStatus}:
            raise InvalidCaseField("status", "choose affected, not_affected or fixed")
        service.post_statement(
            session,
            viewer.principal,
            case_id=case_id,
            status=StatementStatus(status),
            versions=versions,
            statement=statement,
            vendor_slug=vendor or None,
            now=clock.now(),
        )

    return _act(request, viewer, db, clock, case_id, csrf_token, "#statements", act)


@router.post("/cases/{case_id}/messages")
def message_form(
    request: Request,
    case_id: CaseId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    body: Annotated[str, Form(max_length=LIMITS["body"])] = "",
    parent_id: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
    csrf_token: Csrf = "",
) -> Response:
    def act(session: Session) -> None:
        service.post_message(
            session,
            viewer.principal,
            case_id=case_id,
            body=body,
            parent_id=parent_id,
            now=clock.now(),
        )

    return _act(request, viewer, db, clock, case_id, csrf_token, "#messages", act)


@router.post("/cases/{case_id}/vendors")
def vendor_invite_form(
    request: Request,
    case_id: CaseId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    organisation: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Csrf = "",
) -> Response:
    def act(session: Session) -> None:
        service.invite_vendor(
            session,
            viewer.principal,
            case_id=case_id,
            organisation_slug=organisation,
            now=clock.now(),
        )

    return _act(request, viewer, db, clock, case_id, csrf_token, "#vendors", act)


@router.post("/cases/{case_id}/vendors/{organisation}/remove")
def vendor_remove_form(
    request: Request,
    case_id: CaseId,
    organisation: Annotated[str, Path(min_length=1, max_length=64)],
    viewer: Viewer,
    db: Db,
    clock: Now,
    reason: Annotated[str, Form(max_length=LIMITS["reason"])] = "",
    csrf_token: Csrf = "",
) -> Response:
    def act(session: Session) -> None:
        service.remove_vendor(
            session,
            viewer.principal,
            case_id=case_id,
            organisation_slug=organisation,
            reason=reason,
            now=clock.now(),
        )

    return _act(request, viewer, db, clock, case_id, csrf_token, "#vendors", act)


@router.post("/cases/{case_id}/transitions")
def transition_form(
    request: Request,
    case_id: CaseId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    to: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=LIMITS["reason"])] = "",
    csrf_token: Csrf = "",
) -> Response:
    def act(session: Session) -> None:
        if to not in {s.value for s in CaseStatus}:
            raise InvalidCaseField("to", "choose the state to move the case to")
        service.move_case(
            session,
            viewer.principal,
            case_id=case_id,
            to=CaseStatus(to),
            reason=reason,
            now=clock.now(),
        )

    return _act(request, viewer, db, clock, case_id, csrf_token, "", act)


@router.post("/cases/{case_id}/edit")
def edit_form(
    request: Request,
    case_id: CaseId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    title: Annotated[str, Form(max_length=LIMITS["title"])] = "",
    summary: Annotated[str, Form(max_length=LIMITS["summary"])] = "",
    description: Annotated[str, Form(max_length=LIMITS["description"])] = "",
    package_ecosystem: Annotated[str, Form(max_length=64)] = "",
    package_name: Annotated[str, Form(max_length=LIMITS["package_name"])] = "",
    affected_versions: Annotated[str, Form(max_length=LIMITS["versions"])] = "",
    cwe: Annotated[str, Form(max_length=32)] = "",
    cvss_vector: Annotated[str, Form(max_length=200)] = "",
    cve_id: Annotated[str, Form(max_length=32)] = "",
    tlp: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Csrf = "",
) -> Response:
    """The whole edit form: each field as submitted (a blank one clears it)."""
    changes = CaseChanges(
        title=title,
        summary=summary,
        description=description,
        package_ecosystem=package_ecosystem,
        package_name=package_name,
        affected_versions=affected_versions,
        cwe=cwe,
        cvss_vector=cvss_vector,
        cve_id=cve_id,
        tlp=tlp or None,
    )

    def act(session: Session) -> None:
        service.update_case(
            session, viewer.principal, case_id=case_id, changes=changes, now=clock.now()
        )

    return _act(request, viewer, db, clock, case_id, csrf_token, "", act)


@router.post("/cases/{case_id}/embargo")
def embargo_form(
    request: Request,
    case_id: CaseId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    embargo_ends_at: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Csrf = "",
) -> Response:
    def act(session: Session) -> None:
        service.update_case(
            session,
            viewer.principal,
            case_id=case_id,
            changes=CaseChanges(embargo_ends_at=_when(embargo_ends_at, "embargo_ends_at")),
            now=clock.now(),
        )

    return _act(request, viewer, db, clock, case_id, csrf_token, "", act)


# --- advisories ----------------------------------------------------------------------------------


@router.get("/cases/{case_id}/advisory-draft")
def advisory_draft_page(
    request: Request, case_id: CaseId, viewer: Viewer, db: Db, clock: Now
) -> Response:
    _signed_in(viewer)
    with db.read_session() as session:
        draft = publication.draft_advisory(
            session, viewer.principal, case_id=case_id, now=clock.now()
        )
    return render(
        request,
        "disclosure_advisory.html",
        {"case_id": case_id, "osv_id": draft.osv_id, "final": False, "article": draft.html},
    )


@router.get("/advisories")
def advisory_list(request: Request, viewer: Viewer, db: Db, clock: Now) -> Response:
    with db.read_session() as session:
        rows = publication.list_advisories(session, viewer.principal, now=clock.now())
    return render(request, "disclosure_advisories.html", {"rows": rows})


@router.get("/advisories/{case_id}")
def advisory_page(
    request: Request, case_id: CaseId, viewer: Viewer, db: Db, clock: Now
) -> Response:
    with db.read_session() as session:
        published = publication.read_advisory(
            session, viewer.principal, case_id=case_id, now=clock.now()
        )
    advisory = published.advisory
    return render(
        request,
        "disclosure_advisory.html",
        {"case_id": case_id, "osv_id": advisory.osv_id, "final": True, "article": advisory.html},
    )
