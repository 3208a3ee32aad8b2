"""The Jinja2 environment every page renders with: autoescaped, with a few date filters."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.responses import Response

from clearinghouse import __version__
from clearinghouse.identity.principal import Principal

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def format_timestamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def format_date(value: date | datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def build_templates() -> Jinja2Templates:
    # Autoescape everything: records come from outside, and nothing in them is markup.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["timestamp"] = format_timestamp
    env.filters["day"] = format_date
    return Jinja2Templates(env=env)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A page, with what every page's header needs: who is signed in and their CSRF token."""
    templates: Jinja2Templates = request.app.state.templates
    principal: Principal | None = getattr(request.state, "principal", None)
    page_context: dict[str, Any] = {
        "viewer": principal if principal is not None and principal.is_authenticated else None,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "instance_name": "Clearinghouse",
        "version": __version__,
    }
    page_context.update(context or {})
    return templates.TemplateResponse(
        request, template, page_context, status_code=status_code, headers=headers
    )


def problem_page(
    request: Request, problem: dict[str, Any], headers: dict[str, str] | None
) -> Response:
    """The HTML face of an RFC 9457 problem, for browsers on pages."""
    return render(
        request,
        "problem.html",
        {"problem": problem},
        status_code=int(problem["status"]),
        headers=headers,
    )
