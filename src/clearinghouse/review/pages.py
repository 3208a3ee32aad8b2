"""Pages of model review: for developers, reviewers and partners.

Every page about a review goes through `build_report`, so the page, the HTML report and
the PDF show one view model, redacted for the viewer before any template sees it. A
viewer who may not see a review gets the same 404 as for a review that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, Response

from clearinghouse.api.deps import get_clock, get_db, page_principal
from clearinghouse.clock import Clock
from clearinghouse.errors import Unauthenticated
from clearinghouse.identity.models import Organisation
from clearinghouse.identity.principal import Principal
from clearinghouse.review.models import (
    AccessKind,
    ModelVersion,
    Review,
    ReviewStatus,
)
from clearinghouse.review.report import (
    NO_BENCHMARK_RUNS,
    VOLUNTARY_NOTICE,
    build_report,
    days_left,
    render_report_html,
    render_report_pdf,
    report_content_security_policy,
    timeline_days,
)
from clearinghouse.review.service import list_models, list_reviews, list_versions
from clearinghouse.storage import Database
from clearinghouse.web.templating import render

router = APIRouter()

ReviewId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@dataclass(frozen=True)
class ReviewRow:
    id: int
    model: str
    version: str
    developer: str
    status: str
    submitted_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    days_left: int | None


@dataclass(frozen=True)
class VersionRow:
    version: str
    planned_release_at: datetime
    access: str
    review_id: int | None
    review_status: str | None
    days_left: int | None


@dataclass(frozen=True)
class ModelRow:
    id: int
    name: str
    description: str
    versions: tuple[VersionRow, ...]


def _organisation_names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    return {row.id: row.name for row in rows}


def _review_row(review: Review, developers: dict[int, str], now: datetime) -> ReviewRow:
    version = review.model_version
    is_open = review.status is ReviewStatus.open
    return ReviewRow(
        id=review.id,
        model=version.model.name,
        version=version.version,
        developer=developers.get(version.model.organisation_id, ""),
        status=review.status.value,
        submitted_at=review.submitted_at,
        closes_at=review.window_closes_at,
        closed_at=review.closed_at,
        days_left=days_left(review.window_closes_at, now) if is_open else None,
    )


@router.get("/reviews")
def review_list(
    request: Request,
    principal: Annotated[Principal, Depends(page_principal)],
    db: Annotated[Database, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response:
    now = clock.now()
    # A writing session: listing may close reviews whose window has ended.
    with db.session() as session:
        reviews = list(list_reviews(session, principal, now=now))
        developers = _organisation_names(
            session, {review.model_version.model.organisation_id for review in reviews}
        )
        rows = [_review_row(review, developers, now) for review in reviews]
    return render(request, "review_list.html", {"rows": rows, "notice": VOLUNTARY_NOTICE})


@router.get("/reviews/{review_id}")
def review_page(
    request: Request,
    review_id: ReviewId,
    principal: Annotated[Principal, Depends(page_principal)],
    db: Annotated[Database, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response:
    now = clock.now()
    with db.session() as session:
        report = build_report(session, principal, review_id=review_id, now=now)
    return render(
        request,
        "review_page.html",
        {"report": report, "days": timeline_days(report, now), "no_runs": NO_BENCHMARK_RUNS},
    )


@router.get("/reviews/{review_id}/report.html")
def review_report_html(
    review_id: ReviewId,
    principal: Annotated[Principal, Depends(page_principal)],
    db: Annotated[Database, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response:
    with db.session() as session:
        report = build_report(session, principal, review_id=review_id, now=clock.now())
    html = render_report_html(report)
    # Self-contained: its stylesheet is inline, so the CSP allows exactly that stylesheet.
    headers = {
        "content-security-policy": report_content_security_policy(html),
        "cache-control": "private, no-store",
    }
    return HTMLResponse(html, headers=headers)


@router.get("/reviews/{review_id}/report.pdf")
def review_report_pdf(
    review_id: ReviewId,
    principal: Annotated[Principal, Depends(page_principal)],
    db: Annotated[Database, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response:
    with db.session() as session:
        report = build_report(session, principal, review_id=review_id, now=clock.now())
    filename = f"review-{report.review_id}-{report.view}-report.pdf"
    headers = {
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "private, no-store",
    }
    return Response(render_report_pdf(report), media_type="application/pdf", headers=headers)


def _version_row(version: ModelVersion, review: Review | None, now: datetime) -> VersionRow:
    is_open = review is not None and review.status is ReviewStatus.open
    access = (
        "API access configured"
        if version.access_kind is AccessKind.api
        else f"Weights at {version.weights_location or '(location not given)'}"
    )
    return VersionRow(
        version=version.version,
        planned_release_at=version.planned_release_at,
        access=access,
        review_id=review.id if review is not None else None,
        review_status=review.status.value if review is not None else None,
        days_left=days_left(review.window_closes_at, now) if review and is_open else None,
    )


@router.get("/models")
def model_list(
    request: Request,
    principal: Annotated[Principal, Depends(page_principal)],
    db: Annotated[Database, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> Response:
    if not principal.is_authenticated:
        raise Unauthenticated("log in to see your organisation's models")
    now = clock.now()
    with db.session() as session:
        # The newest review of each version that this viewer may see, from the service.
        latest: dict[int, Review] = {}
        for review in list_reviews(session, principal, now=now):
            current = latest.get(review.model_version_id)
            if current is None or review.submitted_at > current.submitted_at:
                latest[review.model_version_id] = review
        # Which models a viewer sees is the policy's answer (through the service).
        rows = []
        for model in list_models(session, principal, now=now):
            versions = list_versions(session, model)
            rows.append(
                ModelRow(
                    id=model.id,
                    name=model.name,
                    description=model.description,
                    versions=tuple(_version_row(v, latest.get(v.id), now) for v in versions),
                )
            )
    return render(request, "review_models.html", {"models": rows, "notice": VOLUNTARY_NOTICE})
