"""The home page: what this instance is, where to go, and how much is here for the viewer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import func, select
from starlette.responses import Response

from clearinghouse.api.deps import get_db, page_principal
from clearinghouse.identity.principal import Principal
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import KevEntry
from clearinghouse.vulnerabilities.store import search_vulnerabilities
from clearinghouse.web.templating import render

router = APIRouter()


@router.get("/")
def home(
    request: Request,
    principal: Annotated[Principal, Depends(page_principal)],
    db: Annotated[Database, Depends(get_db)],
) -> Response:
    with db.read_session() as session:
        # Counts go through the store's search, so they only count what the viewer may read.
        records = search_vulnerabilities(session, principal, per_page=1).total
        known_exploited = search_vulnerabilities(session, principal, kev=True, per_page=1).total
        # The KEV catalog itself is public (CISA publishes it), so counting it decides nothing.
        kev_entries = session.scalar(
            select(func.count()).select_from(KevEntry).where(KevEntry.in_catalog.is_(True))
        )
    counts = {"records": records, "known_exploited": known_exploited, "kev_entries": kev_entries}
    return render(request, "home.html", {"counts": counts})
