"""The vulnerability API: look a vulnerability up by any alias, search, and submit OSV records."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from clearinghouse.api.deps import current_principal, get_db, get_settings
from clearinghouse.api.problems import PROBLEM_JSON, RequestTooLarge
from clearinghouse.formats.errors import InvalidRecord
from clearinghouse.identity.policy import Action, require
from clearinghouse.identity.principal import Principal
from clearinghouse.intake import submit_record
from clearinghouse.settings import Settings
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.schemas import SubmissionOut, VulnGroupOut, VulnPage
from clearinghouse.vulnerabilities.store import MAX_PER_PAGE, find_group, search_vulnerabilities

router = APIRouter(prefix="/vulns", tags=["vulnerabilities"])

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}
_OSV_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "An OSV record (https://ossf.github.io/osv-schema/)",
                "required": ["id", "modified"],
                "additionalProperties": True,
            }
        }
    },
}


@router.get(
    "/{identifier}",
    response_model=VulnGroupOut,
    responses={404: _PROBLEM, 401: _PROBLEM},
    summary="A vulnerability by any of its identifiers",
)
def get_vulnerability(
    identifier: Annotated[str, Path(description="An OSV id, CVE id, GHSA id or any alias")],
    principal: Annotated[Principal, Depends(current_principal)],
    db: Annotated[Database, Depends(get_db)],
) -> VulnGroupOut:
    """Every record of the vulnerability's alias group that you may read, with its KEV status.

    Unknown identifiers and vulnerabilities you may not read are both a 404.
    """
    with db.read_session() as session:
        group = find_group(session, identifier, principal)
        return VulnGroupOut.of(group)


@router.get(
    "",
    response_model=VulnPage,
    responses={401: _PROBLEM, 422: _PROBLEM},
    summary="Search vulnerabilities",
)
def list_vulnerabilities(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(current_principal)],
    db: Annotated[Database, Depends(get_db)],
    ecosystem: Annotated[str | None, Query(max_length=64, description="e.g. PyPI, Go")] = None,
    package: Annotated[str | None, Query(max_length=400, description="Package name")] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="An identifier, or text in the summary")
    ] = None,
    kev: Annotated[bool | None, Query(description="Only (or never) known exploited")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> VulnPage:
    """Records you may read, newest first; the `Link` header (RFC 8288) names the next page."""
    with db.read_session() as session:
        results = search_vulnerabilities(
            session,
            principal,
            ecosystem=ecosystem or None,
            package=package or None,
            q=q or None,
            kev=kev,
            page=page,
            per_page=per_page,
        )
    next_url = None
    if results.has_next:
        next_url = str(request.url.include_query_params(page=page + 1, per_page=per_page))
        response.headers["Link"] = f'<{next_url}>; rel="next"'
    return VulnPage.of(results, next_url)


@router.post(
    "",
    response_model=SubmissionOut,
    status_code=200,
    openapi_extra={"requestBody": _OSV_BODY},
    responses={
        201: {"model": SubmissionOut, "description": "A new record was added"},
        401: _PROBLEM,
        403: _PROBLEM,
        413: _PROBLEM,
        422: _PROBLEM,
    },
    summary="Submit an OSV record (operators)",
)
async def submit_vulnerability(
    request: Request,
    response: Response,
    principal: Annotated[Principal, Depends(current_principal)],
    db: Annotated[Database, Depends(get_db)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> SubmissionOut:
    """Adds or updates one record: 201 when it is new, 200 when updated or unchanged."""
    # Who may write is settled before the body is even parsed.
    require(principal, Action.vuln_write)
    body = await request.body()
    if len(body) > settings.max_record_bytes:
        raise RequestTooLarge(f"an OSV record may be at most {settings.max_record_bytes} bytes")
    document = _json_object(body)
    outcome = await run_in_threadpool(submit_record, db, document, principal, source="api")
    if outcome.status == "added":
        response.status_code = 201
        location = request.url_for("get_vulnerability", identifier=outcome.osv_id)
        response.headers["Location"] = str(location)
    return SubmissionOut(id=outcome.osv_id, status=outcome.status)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidRecord(f"the body is not JSON: {exc}", source="api", path="$") from None
    if not isinstance(document, dict):
        raise InvalidRecord("an OSV record is a JSON object", source="api", path="$")
    return document
