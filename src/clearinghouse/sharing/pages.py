"""Pages of sharing groups: the groups a person may see with their members; operators' forms.

Plain forms, no JavaScript: creating a group and adding or removing a member are POSTs
carrying the session's CSRF token, answered with a redirect (303) to the group's page, or
the page again with the error. A group the viewer may not read gets the same 404 page as
a group that does not exist (the service decides, `identity.policy` rules).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Path, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from clearinghouse.api.deps import PageViewer, get_db, page_viewer
from clearinghouse.errors import Unauthenticated
from clearinghouse.identity.policy import SharingAction, decide_sharing
from clearinghouse.identity.sessions import csrf_ok
from clearinghouse.sharing import service
from clearinghouse.sharing.errors import SharingError
from clearinghouse.storage import Database
from clearinghouse.web.csrf import CsrfRejected
from clearinghouse.web.templating import render

router = APIRouter()

Viewer = Annotated[PageViewer, Depends(page_viewer)]
Db = Annotated[Database, Depends(get_db)]
Slug = Annotated[str, Path(min_length=1, max_length=64)]
CsrfField = Annotated[str, Form(max_length=512)]
OrgField = Annotated[str, Form(max_length=64)]
UserField = Annotated[str, Form(max_length=254)]


def _login_redirect(request: Request) -> Response:
    target = request.url.path
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)


def _signed_in_for_change(viewer: PageViewer, token: str) -> None:
    if not viewer.signed_in:
        raise Unauthenticated("log in to manage sharing groups")
    if viewer.web_session is None or not csrf_ok(viewer.web_session, token):
        raise CsrfRejected("the form's CSRF token does not match your session; reload the page")


def _manages(viewer: PageViewer) -> bool:
    """Whether to offer the operators' forms; the service checks again on every POST."""
    return bool(decide_sharing(viewer.principal, SharingAction.group_manage))


def _list_page(
    request: Request,
    viewer: PageViewer,
    db: Database,
    *,
    error: str = "",
    entered: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with db.read_session() as session:
        groups = service.list_groups(session, viewer.principal)
    return render(
        request,
        "sharing_groups.html",
        {
            "groups": groups,
            "manages": _manages(viewer),
            "error": error,
            "entered": entered or {},  # what the refused form said, to correct it
        },
        status_code=status,
    )


def _group_page(
    request: Request,
    viewer: PageViewer,
    db: Database,
    slug: str,
    *,
    error: str = "",
    entered: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    with db.read_session() as session:
        group = service.show_group(session, viewer.principal, slug)
    return render(
        request,
        "sharing_group.html",
        {
            "group": group,
            "manages": _manages(viewer),
            "error": error,
            "entered": entered or {},
        },
        status_code=status,
    )


@router.get("/sharing-groups")
def group_list(request: Request, viewer: Viewer, db: Db) -> Response:
    if not viewer.signed_in:
        return _login_redirect(request)
    return _list_page(request, viewer, db)


@router.post("/sharing-groups")
def group_create(
    request: Request,
    viewer: Viewer,
    db: Db,
    slug: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=service.MAX_NAME)] = "",
    description: Annotated[str, Form(max_length=service.MAX_DESCRIPTION)] = "",
    csrf_token: CsrfField = "",
) -> Response:
    _signed_in_for_change(viewer, csrf_token)
    try:
        with db.session() as session:
            group = service.create_group(
                session, viewer.principal, slug=slug.strip(), name=name, description=description
            )
    except SharingError as exc:
        entered = {"slug": slug, "name": name, "description": description}
        return _list_page(
            request, viewer, db, error=str(exc), entered=entered, status=exc.status_code
        )
    return RedirectResponse(f"/sharing-groups/{group.slug}", status_code=303)


@router.get("/sharing-groups/{slug}")
def group_page(request: Request, slug: Slug, viewer: Viewer, db: Db) -> Response:
    if not viewer.signed_in:
        return _login_redirect(request)
    return _group_page(request, viewer, db, slug)


def _change_members(
    request: Request,
    viewer: PageViewer,
    db: Database,
    slug: str,
    *,
    organisation: str,
    user: str,
    add: bool,
) -> Response:
    change = service.add_member if add else service.remove_member
    try:
        with db.session() as session:
            change(
                session,
                viewer.principal,
                slug=slug,
                organisation=organisation.strip(),
                user=user.strip() or None,
            )
    except SharingError as exc:
        # An unknown organisation or user, or a duplicate, is the form's error; a group
        # that does not exist still answers 404 when its page is rendered again.
        entered = {"organisation": organisation, "user": user} if add else {}
        return _group_page(
            request, viewer, db, slug, error=str(exc), entered=entered, status=exc.status_code
        )
    return RedirectResponse(f"/sharing-groups/{slug}#members", status_code=303)


@router.post("/sharing-groups/{slug}/members")
def member_add(
    request: Request,
    slug: Slug,
    viewer: Viewer,
    db: Db,
    organisation: OrgField = "",
    user: UserField = "",
    csrf_token: CsrfField = "",
) -> Response:
    _signed_in_for_change(viewer, csrf_token)
    return _change_members(
        request, viewer, db, slug, organisation=organisation, user=user, add=True
    )


@router.post("/sharing-groups/{slug}/members/remove")
def member_remove(
    request: Request,
    slug: Slug,
    viewer: Viewer,
    db: Db,
    organisation: OrgField = "",
    user: UserField = "",
    csrf_token: CsrfField = "",
) -> Response:
    _signed_in_for_change(viewer, csrf_token)
    return _change_members(
        request, viewer, db, slug, organisation=organisation, user=user, add=False
    )
