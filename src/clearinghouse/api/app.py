"""The ASGI application: the JSON API under /api/v1 and the pages for people under /."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

from clearinghouse import __version__
from clearinghouse.api import docs
from clearinghouse.api.body_limit import BodyLimitMiddleware
from clearinghouse.api.deps import get_db
from clearinghouse.api.problems import install_problem_handlers
from clearinghouse.api.security_headers import SecurityHeadersMiddleware
from clearinghouse.clock import Clock, SystemClock
from clearinghouse.settings import Settings, get_settings
from clearinghouse.storage import Database, open_database
from clearinghouse.web.templating import STATIC_DIR, build_templates, problem_page

API_PREFIX = "/api/v1"

health_router = APIRouter(tags=["service"])


@health_router.get("/health")
def health(db: Database = Depends(get_db)) -> dict[str, str]:
    """Whether this server answers and reaches its database."""
    with db.read_session() as session:
        session.execute(text("SELECT 1"))
    return {"status": "ok", "version": __version__}


def _api_router() -> APIRouter:
    from clearinghouse.evals.api import router as evals
    from clearinghouse.review.api import router as review
    from clearinghouse.sbom.api import router as inventories
    from clearinghouse.vulnerabilities.api import router as vulnerabilities

    api = APIRouter(prefix=API_PREFIX)
    api.include_router(health_router)
    api.include_router(docs.router)
    api.include_router(vulnerabilities)
    api.include_router(review)
    api.include_router(evals)
    api.include_router(inventories)
    from clearinghouse.disclosure.api import router as disclosure

    api.include_router(disclosure)
    from clearinghouse.reports.api import router as reports

    api.include_router(reports)
    from clearinghouse.advisories.api import router as advisories
    from clearinghouse.notifications.api import router as notifications
    from clearinghouse.sharing.api import router as sharing

    api.include_router(advisories)
    api.include_router(sharing)
    api.include_router(notifications)
    return api


def _osv_router() -> APIRouter:
    # At the root, not under /api/v1: OSV clients append /v1/query to the base URL they are given.
    from clearinghouse.matching.api import router as osv_query

    return osv_query


def _sharing_router() -> APIRouter:
    # At the root, where the standards put them: /.well-known/csaf/ (CSAF 2.0 section 7)
    # and /taxii2/ (TAXII 2.1 discovery).
    from clearinghouse.advisories.provider import router as csaf_provider
    from clearinghouse.sharing.taxii import router as taxii

    root = APIRouter()
    root.include_router(csaf_provider)
    root.include_router(taxii)
    return root


def _pages_router() -> APIRouter:
    from clearinghouse.identity.pages import router as identity_pages
    from clearinghouse.review.pages import router as review_pages
    from clearinghouse.sbom.pages import router as inventory_pages
    from clearinghouse.vulnerabilities.pages import router as vulnerability_pages
    from clearinghouse.web.home import router as home

    pages = APIRouter(include_in_schema=False)
    pages.include_router(home)
    pages.include_router(identity_pages)
    pages.include_router(vulnerability_pages)
    pages.include_router(review_pages)
    pages.include_router(inventory_pages)
    from clearinghouse.disclosure.pages import router as disclosure_pages

    pages.include_router(disclosure_pages)
    from clearinghouse.reports.pages import router as report_pages

    pages.include_router(report_pages)
    from clearinghouse.advisories.pages import router as advisory_pages

    pages.include_router(advisory_pages)
    from clearinghouse.notifications.pages import router as notification_pages
    from clearinghouse.sharing.pages import router as sharing_pages

    pages.include_router(notification_pages)
    pages.include_router(sharing_pages)
    return pages


def create_app(
    settings: Settings | None = None, db: Database | None = None, clock: Clock | None = None
) -> FastAPI:
    """The whole application; opens (and migrates) the settings' database unless given one.

    `clock` is where every "now" comes from (review windows); tests pass a ManualClock.
    """
    settings = settings or get_settings()
    owns_db = db is None
    database = db if db is not None else open_database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_db:
            database.dispose()

    app = FastAPI(
        title="Clearinghouse",
        version=__version__,
        description="Vulnerability records shared under the Traffic Light Protocol.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.db = database
    app.state.clock = clock or SystemClock()
    # Without a configured key, forms signed by one process do not verify in another:
    # multi-worker deployments must set CLEARINGHOUSE_SECRET_KEY.
    app.state.secret_key = settings.secret_key or secrets.token_urlsafe(32)
    app.state.templates = build_templates()
    app.state.problem_page = problem_page

    install_problem_handlers(app)
    app.include_router(_api_router())
    app.include_router(_osv_router())
    app.include_router(_sharing_router())
    app.include_router(_pages_router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # Added last = outermost: even a refused, oversized request gets the security headers.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    return app
