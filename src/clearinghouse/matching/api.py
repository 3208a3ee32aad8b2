"""OSV.dev's query API, served from the clearinghouse: `POST /v1/query` and `/v1/querybatch`.

Request and response shapes are OSV.dev's (https://google.github.io/osv.dev/api/), so that
existing OSV clients (osv-scanner, pip-audit's OSV service, the `osv` libraries) can point at a
clearinghouse instead of the public service: `/v1/query` answers full OSV records,
`/v1/querybatch` answers `{id, modified}` per query, in the order asked. Records are those the
caller may read (TLP, embargo); without a bearer token that is TLP:CLEAR only.

Not served: commit queries (we hold no commit graph) and pagination (`next_page_token`): a
clearinghouse answers every record at once, within the batch size limit below.

Errors are RFC 9457 problems, as everywhere in this API, carrying OSV.dev's `code` (gRPC status
3, INVALID_ARGUMENT) and `message` members too, which is what OSV clients read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from clearinghouse.api.deps import current_principal, get_clock, get_db
from clearinghouse.api.problems import PROBLEM_JSON
from clearinghouse.clock import Clock
from clearinghouse.errors import ClearinghouseError
from clearinghouse.identity.principal import Principal
from clearinghouse.matching.errors import MatchingError
from clearinghouse.matching.purl import parse_purl
from clearinghouse.matching.scan import PackageQuery, records_affecting
from clearinghouse.storage import Database

router = APIRouter(prefix="/v1", tags=["OSV-compatible query API"])

MAX_BATCH = 1000  # OSV.dev's limit for one querybatch request

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}


class InvalidOsvQuery(ClearinghouseError):
    status_code = 400
    title = "Invalid query"

    def problem_members(self) -> dict[str, Any]:
        return {"code": 3, "message": str(self)}


class OsvPackage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = Field(None, max_length=400)
    ecosystem: str | None = Field(None, max_length=64)
    purl: str | None = Field(None, max_length=2000)


class OsvQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    package: OsvPackage | None = None
    version: str | None = Field(None, max_length=200)
    commit: str | None = Field(None, max_length=200)
    page_token: str | None = Field(None, max_length=2000)


class OsvBatchQuery(BaseModel):
    queries: list[OsvQuery] = Field(max_length=MAX_BATCH)


class OsvVulnRef(BaseModel):
    id: str
    modified: datetime


class OsvBatchResult(BaseModel):
    vulns: list[OsvVulnRef] | None = None


class OsvBatchResponse(BaseModel):
    results: list[OsvBatchResult]


def _package_query(query: OsvQuery, where: str) -> PackageQuery:
    """Turn one OSV query into ours, with OSV.dev's rules for what may be combined."""
    if query.commit:
        raise InvalidOsvQuery(f"{where}: commit queries are not supported by this server")
    package = query.package
    if package is None:
        raise InvalidOsvQuery(f"{where}: a query needs a package (name and ecosystem, or purl)")
    if package.purl:
        if package.name or package.ecosystem:
            raise InvalidOsvQuery(f"{where}: give either a purl or a name and ecosystem")
        try:
            ref = parse_purl(package.purl)
        except MatchingError as exc:
            raise InvalidOsvQuery(f"{where}: {exc}") from None
        if ref.version and query.version:
            raise InvalidOsvQuery(f"{where}: the version is in both the purl and the query")
        return PackageQuery(ref.ecosystem, ref.name, ref.version or query.version)
    if not package.name or not package.ecosystem:
        raise InvalidOsvQuery(f"{where}: a package needs both a name and an ecosystem")
    return PackageQuery(package.ecosystem, package.name, query.version)


@router.post(
    "/query",
    summary="Records affecting one package version (OSV.dev's /v1/query)",
    responses={
        200: {"description": '`{"vulns": [OSV record, ...]}`, or `{}` when none'},
        400: _PROBLEM,
    },
)
def query(
    body: OsvQuery,
    principal: Annotated[Principal, Depends(current_principal)],
    db: Annotated[Database, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> JSONResponse:
    """The full OSV records that affect the package at the version (all of them without one)."""
    wanted = _package_query(body, "$")
    with db.read_session() as session:
        [hits] = records_affecting(session, [wanted], principal=principal, now=clock.now())
    # OSV.dev answers an empty object, not an empty list, when nothing matches.
    return JSONResponse({"vulns": [hit.document for hit in hits]} if hits else {})


@router.post(
    "/querybatch",
    response_model=OsvBatchResponse,
    response_model_exclude_none=True,
    summary="Record ids affecting many package versions (OSV.dev's /v1/querybatch)",
    responses={400: _PROBLEM},
)
def querybatch(
    body: OsvBatchQuery,
    principal: Annotated[Principal, Depends(current_principal)],
    db: Annotated[Database, Depends(get_db)],
    clock: Annotated[Clock, Depends(get_clock)],
) -> OsvBatchResponse:
    """For each query in order, the ids and modified times of the records that affect it."""
    wanted = [_package_query(q, f"$.queries[{i}]") for i, q in enumerate(body.queries)]
    with db.read_session() as session:
        answers = records_affecting(session, wanted, principal=principal, now=clock.now())
    return OsvBatchResponse(
        results=[
            OsvBatchResult(
                vulns=[OsvVulnRef(id=h.osv_id, modified=h.modified) for h in hits] or None
            )
            for hits in answers
        ]
    )
