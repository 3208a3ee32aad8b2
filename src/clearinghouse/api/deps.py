"""Request dependencies: the database, the settings, and who is asking (never what they may do).

Who may do what is decided only by `identity.policy`; routes call `require(...)` or store
functions that filter with `visible_filter`. The API knows callers by bearer token only,
so a browser's cookie can never authorise an API call a hostile page makes it send;
pages know people by the `ch_session` cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from clearinghouse.clock import Clock
from clearinghouse.errors import Unauthenticated
from clearinghouse.identity.models import WebSession
from clearinghouse.identity.principal import ANONYMOUS, Principal, principal_for
from clearinghouse.identity.sessions import load_session
from clearinghouse.identity.tokens import authenticate_token
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

SESSION_COOKIE = "ch_session"


class InvalidBearerToken(Unauthenticated):
    title = "Invalid bearer token"


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def public_base_url(request: Request) -> str:
    """Where readers reach this instance: the configured public URL, else the request's own."""
    configured = get_settings(request).public_base_url
    return (configured or str(request.base_url)).rstrip("/")


def bearer_secret(request: Request) -> str | None:
    """The token of an `Authorization: Bearer` header; None when there is no header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise InvalidBearerToken("the Authorization header must be 'Bearer <token>'")
    return secret.strip()


def current_principal(request: Request) -> Principal:
    """The API caller: the bearer token's user, or ANONYMOUS without a header.

    A token that is presented but unknown, expired or revoked is a 401, not anonymous
    access: a client with a broken token should hear about it, not see less.
    """
    secret = bearer_secret(request)
    if secret is None:
        return ANONYMOUS
    # A writing session: authenticating records the token's last use now and then.
    with get_db(request).session() as session:
        principal = authenticate_token(session, secret)
    if principal is None:
        raise InvalidBearerToken("the bearer token is unknown, expired or revoked")
    return principal


@dataclass(frozen=True)
class PageViewer:
    """The person behind a page request and their (detached) web session, if signed in."""

    principal: Principal
    session_cookie: str | None
    web_session: WebSession | None

    @property
    def signed_in(self) -> bool:
        return self.web_session is not None

    @property
    def csrf_token(self) -> str:
        return self.web_session.csrf_token if self.web_session is not None else ""


def page_viewer(request: Request) -> PageViewer:
    """Who is looking at a page, from the session cookie; also kept on `request.state`."""
    cookie = request.cookies.get(SESSION_COOKIE)
    viewer = PageViewer(ANONYMOUS, None, None)
    if cookie:
        with get_db(request).read_session() as session:
            web_session = load_session(session, cookie)
            if web_session is not None:
                viewer = PageViewer(principal_for(web_session.user), cookie, web_session)
    request.state.principal = viewer.principal
    request.state.csrf_token = viewer.csrf_token
    return viewer


def page_principal(viewer: Annotated[PageViewer, Depends(page_viewer)]) -> Principal:
    return viewer.principal


def get_clock(request: Request) -> Clock:
    """Where "now" comes from: the system clock, or a test's ManualClock."""
    clock: Clock = request.app.state.clock
    return clock
