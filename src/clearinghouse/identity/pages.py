"""The login and logout pages: a password form in, a server-side session cookie out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from clearinghouse.api.deps import SESSION_COOKIE, PageViewer, get_db, get_settings, page_viewer
from clearinghouse.identity.service import authenticate_password
from clearinghouse.identity.sessions import csrf_ok, end_session, start_session
from clearinghouse.settings import Settings
from clearinghouse.storage import Database
from clearinghouse.web.csrf import (
    CSRF_COOKIE,
    MAX_AGE_SECONDS,
    CsrfRejected,
    check_signed_token,
    new_nonce,
    signed_token,
)
from clearinghouse.web.templating import render

router = APIRouter()

# One message whatever went wrong, so the page does not tell which addresses exist.
LOGIN_FAILED = "Wrong email or password."
_NONCE_LENGTH = 43


def safe_next(target: str | None) -> str:
    """Only a path on this site: `//evil.example` or `https://...` would be an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/vulns"
    return target


def _login_form(
    request: Request,
    *,
    next_url: str,
    email: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    secret_key: str = request.app.state.secret_key
    settings: Settings = request.app.state.settings
    nonce = request.cookies.get(CSRF_COOKIE, "")
    if len(nonce) != _NONCE_LENGTH:
        nonce = new_nonce()
    response = render(
        request,
        "login.html",
        {
            "login_csrf_token": signed_token(secret_key, nonce),
            "next_url": next_url,
            "email": email,
            "error": error,
        },
        status_code=status_code,
    )
    response.set_cookie(
        CSRF_COOKIE,
        nonce,
        max_age=MAX_AGE_SECONDS,
        path="/login",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


@router.get("/login")
def login_page(
    request: Request,
    viewer: Annotated[PageViewer, Depends(page_viewer)],
    next: str | None = None,
) -> Response:
    return _login_form(request, next_url=safe_next(next))


@router.post("/login")
def log_in(
    request: Request,
    viewer: Annotated[PageViewer, Depends(page_viewer)],
    db: Annotated[Database, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_settings)],
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=512)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    check_signed_token(request.app.state.secret_key, request.cookies.get(CSRF_COOKIE), csrf_token)
    next_url = safe_next(next)
    with db.session() as session:
        user = authenticate_password(session, email, password) if email and password else None
        if user is None:
            cookie_value = None
        else:
            # A fresh session id at every login: a planted cookie is never promoted.
            if viewer.session_cookie:
                end_session(session, viewer.session_cookie)
            cookie_value, _ = start_session(session, user=user, hours=settings.session_hours)
    if cookie_value is None:
        return _login_form(
            request, next_url=next_url, email=email, error=LOGIN_FAILED, status_code=401
        )
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie_value,
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    response.delete_cookie(CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def log_out(
    viewer: Annotated[PageViewer, Depends(page_viewer)],
    db: Annotated[Database, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_settings)],
    csrf_token: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    if viewer.web_session is not None and viewer.session_cookie is not None:
        if not csrf_ok(viewer.web_session, csrf_token):
            raise CsrfRejected("the form's CSRF token does not match your session; reload the page")
        with db.session() as session:
            end_session(session, viewer.session_cookie)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=settings.cookie_secure
    )
    return response
