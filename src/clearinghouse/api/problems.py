"""Every error leaves the API as an RFC 9457 problem (`application/problem+json`), never a trace."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from clearinghouse.errors import ClearinghouseError

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)


# Pages show problems as HTML; the web package installs the renderer on `app.state`.
ProblemPage = Callable[[Request, dict[str, Any], dict[str, str] | None], Response]


class RequestTooLarge(ClearinghouseError):
    status_code = 413
    title = "Request body too large"


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON


def problem_type(name: str) -> str:
    """A stable URI per kind of problem, e.g. `urn:clearinghouse:problem:not-found`."""
    return f"urn:clearinghouse:problem:{name}"


def _kebab(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", class_name).lower()


def problem(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    type_: str = "about:blank",
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update(extensions)
    app = request.scope.get("app")
    page: ProblemPage | None = getattr(app.state, "problem_page", None) if app else None
    if page is not None and wants_html(request):
        return page(request, body, headers)
    return ProblemResponse(body, status_code=status, headers=headers)


def wants_html(request: Request) -> bool:
    """A person's browser on a page, as opposed to a program on the API."""
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def json_path(location: Sequence[str | int]) -> str:
    """`("body", "affected", 0)` -> `$.affected[0]`; other places keep their name: `query.page`."""
    parts = list(location)
    text = "$"
    if parts and parts[0] != "body":
        text = str(parts.pop(0))
    elif parts:
        parts.pop(0)
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def clearinghouse_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClearinghouseError)
    extensions: dict[str, Any] = {}
    path = getattr(exc, "path", None)
    if path is not None:
        extensions["path"] = str(path)
    # An error may add members a protocol's clients read (e.g. OSV.dev's `code`/`message`).
    members = getattr(exc, "problem_members", None)
    if callable(members):
        extensions.update(members())
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    return problem(
        request,
        status=exc.status_code,
        title=exc.title,
        detail=str(exc) or exc.title,
        type_=problem_type(_kebab(type(exc).__name__)),
        headers=headers,
        **extensions,
    )


def validation_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"path": json_path(error.get("loc", ())), "message": str(error.get("msg", ""))}
        for error in exc.errors()
    ]
    fields = ", ".join(error["path"] for error in errors) or "the request"
    return problem(
        request,
        status=422,
        title="Invalid request",
        detail=f"invalid: {fields}",
        type_=problem_type("invalid-request"),
        errors=errors,
    )


def http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    if exc.status_code == 404 and detail == phrase:
        detail = f"nothing at {request.url.path}"
    return problem(
        request,
        status=exc.status_code,
        title=phrase,
        detail=detail,
        headers=dict(exc.headers) if exc.headers else None,
    )


def internal_problem(request: Request, exc: Exception) -> Response:
    # The trace goes to the server log only; the client learns that it was our fault.
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        request,
        status=500,
        title="Internal Server Error",
        detail="the server failed to handle this request; the error has been logged",
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ClearinghouseError, clearinghouse_problem)
    app.add_exception_handler(RequestValidationError, validation_problem)
    app.add_exception_handler(StarletteHTTPException, http_problem)
    app.add_exception_handler(Exception, internal_problem)
