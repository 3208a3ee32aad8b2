"""Pages of inventories: upload an SBOM, see its findings grouped by severity, decide on them.

Plain forms, no JavaScript: the upload and every decision are POSTs carrying the signed-in
session's CSRF token, answered with a redirect (303) to the page that shows the result.
An inventory of another organisation gets the same 404 page as one that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

import orjson
from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from clearinghouse.api.deps import PageViewer, get_clock, get_db, page_viewer
from clearinghouse.clock import Clock
from clearinghouse.errors import Unauthenticated
from clearinghouse.formats.errors import FormatError
from clearinghouse.identity.models import Role
from clearinghouse.identity.sessions import csrf_ok
from clearinghouse.matching.findings import Severity
from clearinghouse.sbom import service
from clearinghouse.sbom.api import read_limited
from clearinghouse.sbom.errors import InventoryError
from clearinghouse.sbom.models import FindingStatus, InventoryFinding
from clearinghouse.sbom.schemas import skipped_of
from clearinghouse.storage import Database
from clearinghouse.web.csrf import CsrfRejected
from clearinghouse.web.templating import render

router = APIRouter()

InventoryId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Viewer = Annotated[PageViewer, Depends(page_viewer)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]

SEVERITIES = [s.name for s in sorted(Severity, reverse=True)]  # CRITICAL ... UNKNOWN
STATUSES = [s.value for s in FindingStatus]


@dataclass(frozen=True)
class SeverityGroup:
    severity: str
    findings: list[InventoryFinding]


def _signed_in(viewer: PageViewer) -> None:
    if not viewer.signed_in:
        raise Unauthenticated("log in to see your organisation's inventories")


def _check_csrf(viewer: PageViewer, token: str) -> None:
    if viewer.web_session is None or not csrf_ok(viewer.web_session, token):
        raise CsrfRejected("the form's CSRF token does not match your session; reload the page")


def _list_page(
    request: Request, viewer: PageViewer, db: Database, *, error: str = "", status: int = 200
) -> Response:
    with db.read_session() as session:
        summaries = service.list_inventories(session, viewer.principal)
    return render(
        request,
        "sbom_list.html",
        {
            "summaries": summaries,
            "severities": SEVERITIES,
            "error": error,
            "names_organisation": viewer.principal.role == Role.operator,
            "max_mib": service.MAX_SBOM_BYTES // (1024 * 1024),
        },
        status_code=status,
    )


@router.get("/inventories")
def inventory_list(request: Request, viewer: Viewer, db: Db) -> Response:
    _signed_in(viewer)
    return _list_page(request, viewer, db)


@router.post("/inventories")
def inventory_upload(
    request: Request,
    viewer: Viewer,
    db: Db,
    clock: Now,
    file: Annotated[UploadFile, File()],
    inventory: Annotated[str, Form(max_length=200)] = "",
    organisation: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    try:
        data = read_limited(file)
        with db.session() as session:
            outcome = service.upload_sbom(
                session,
                viewer.principal,
                inventory=inventory,
                data=data,
                filename=file.filename or "sbom",
                organisation=organisation.strip() or None,
                now=clock.now(),
            )
    except (InventoryError, FormatError) as exc:
        # The person fixes the file or the name and tries again on the same page.
        return _list_page(request, viewer, db, error=str(exc), status=exc.status_code)
    return RedirectResponse(f"/inventories/{outcome.inventory_id}", status_code=303)


def _filter(text: str | None, allowed: list[str]) -> str | None:
    return text if text in allowed else None


@router.get("/inventories/{inventory_id}")
def inventory_page(
    request: Request,
    inventory_id: InventoryId,
    viewer: Viewer,
    db: Db,
    severity: str | None = None,
    status: str | None = None,
) -> Response:
    _signed_in(viewer)
    # Unknown filter values show everything rather than an error: they come from a URL.
    wanted_severity = _filter((severity or "").upper(), SEVERITIES)
    wanted_status = _filter(status, STATUSES)
    with db.read_session() as session:
        view = service.get_inventory(
            session,
            viewer.principal,
            inventory_id=inventory_id,
            severity=Severity[wanted_severity] if wanted_severity else None,
            status=FindingStatus(wanted_status) if wanted_status else None,
        )
        grouped: dict[str, list[InventoryFinding]] = defaultdict(list)
        for finding in view.findings:
            grouped[finding.severity].append(finding)
        groups = [SeverityGroup(s, grouped[s]) for s in SEVERITIES if grouped.get(s)]
        aliases = {f.id: orjson.loads(f.aliases) for f in view.findings}
        skipped = skipped_of(view.latest_upload) if view.latest_upload else []
        may_decide = viewer.principal.organisation_id == view.inventory.organisation_id
        return render(
            request,
            "sbom_inventory.html",
            {
                "view": view,
                "groups": groups,
                "aliases": aliases,
                "skipped": skipped,
                "severities": SEVERITIES,
                "statuses": STATUSES,
                "selected": {"severity": wanted_severity or "", "status": wanted_status or ""},
                "may_decide": may_decide,
                "decisions": ["accepted", "not_affected", "new"],
            },
        )


@router.post("/inventories/{inventory_id}/findings/{finding_id}")
def finding_decision(
    inventory_id: InventoryId,
    finding_id: InventoryId,
    viewer: Viewer,
    db: Db,
    clock: Now,
    status: Annotated[str, Form(max_length=32)] = "",
    reason: Annotated[str, Form(max_length=service.MAX_REASON_CHARS)] = "",
    back: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    _signed_in(viewer)
    _check_csrf(viewer, csrf_token)
    if status not in ("new", "accepted", "not_affected"):
        raise InventoryError("choose accepted, not_affected or new")
    with db.session() as session:
        service.set_finding_status(
            session,
            viewer.principal,
            inventory_id=inventory_id,
            finding_id=finding_id,
            status=FindingStatus(status),
            reason=reason,
            now=clock.now(),
        )
    # Back to the same filtered view; only our own query parameters are carried over.
    query = {k: v for k, v in _query(back).items() if k in ("severity", "status")}
    suffix = f"?{urlencode(query)}" if query else ""
    return RedirectResponse(
        f"/inventories/{inventory_id}{suffix}#finding-{finding_id}", status_code=303
    )


def _query(text: str) -> dict[str, str]:
    try:
        return dict(parse_qsl(text.lstrip("?"), max_num_fields=4))
    except ValueError:
        return {}
