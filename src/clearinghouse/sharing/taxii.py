"""A TAXII 2.1 server: discovery, API roots, collections per sharing group and TLP.

Read-only (OASIS TAXII 2.1, sections 4 and 5): discovery at /taxii2/, one API root at
/taxii2/clearinghouse/, the collections of `taxii_collections`, their objects, manifests and
versions (`taxii_objects`), and a status endpoint that knows no status (nothing is ever
added here, so every status id is a 404). Writing answers 403 on a collection the reader
sees, 404 on one it does not.

Readers authenticate with the instance's API tokens: `Authorization: Bearer <token>`, or
HTTP Basic with the token as the password (the user name is ignored), which is how most
TAXII clients send credentials. No credentials: anonymous, who sees only `clear`. Errors
are TAXII error messages (section 3.6.1), with the TAXII media type.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from clearinghouse.api.deps import get_clock, get_db, get_settings, public_base_url
from clearinghouse.errors import ClearinghouseError
from clearinghouse.identity import Principal
from clearinghouse.identity.principal import ANONYMOUS
from clearinghouse.identity.tokens import authenticate_token
from clearinghouse.sharing.taxii_collections import (
    TaxiiCollection,
    collections_for,
    find_collection,
)
from clearinghouse.sharing.taxii_objects import (
    MAX_MATCH_VALUES,
    STIX_MEDIA_TYPE,
    BadTaxiiRequest,
    ObjectFilter,
    Page,
    Position,
    Served,
    collection_page,
    find_object,
    taxii_timestamp,
)

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
API_ROOT = "clearinghouse"
DISCOVERY_PATH = "/taxii2/"
ROOT_PATH = f"/taxii2/{API_ROOT}"

router = APIRouter(tags=["taxii"], include_in_schema=False)


class TaxiiError(ClearinghouseError):
    """An error answered as a TAXII error message."""

    def __init__(self, status: int, title: str, description: str = "") -> None:
        super().__init__(description or title)
        self.status_code = status
        self.title = title
        self.description = description


class NotAcceptable(TaxiiError):
    def __init__(self, accept: str) -> None:
        super().__init__(
            406,
            "Not acceptable",
            f"this server answers {TAXII_MEDIA_TYPE}; the request accepts {accept[:200]!r}",
        )


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(body, default=str),
        status_code=status,
        media_type=TAXII_MEDIA_TYPE,
        headers=headers,
    )


def _error_response(exc: ClearinghouseError) -> Response:
    status = exc.status_code
    body = {
        "title": getattr(exc, "title", "Error"),
        "description": getattr(exc, "description", "") or str(exc),
        "http_status": str(status),
    }
    headers = None
    if status == 401:
        headers = {"WWW-Authenticate": 'Basic realm="taxii", Bearer realm="taxii"'}
    return _json(body, status, headers)


def _accepts_taxii(request: Request) -> None:
    """406 unless Accept admits TAXII 2.1 JSON (a version-less taxii+json, or */*, will do)."""
    accept = request.headers.get("accept", "*/*")
    for item in accept.split(","):
        parts = [p.strip().lower().replace(" ", "") for p in item.split(";")]
        media, params = parts[0], [p for p in parts[1:] if not p.startswith("q=")]
        if media in ("*/*", "application/*"):
            return
        if media == "application/taxii+json" and params in ([], ["version=2.1"]):
            return
    raise NotAcceptable(accept)


def _token(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise TaxiiError(401, "Unauthorized", "malformed Basic credentials") from None
        _, sep, password = decoded.partition(":")
        if sep and password:
            return password
    raise TaxiiError(
        401, "Unauthorized", "use 'Bearer <token>' or Basic with the token as password"
    )


def _principal(request: Request) -> Principal:
    secret = _token(request)
    if secret is None:
        return ANONYMOUS
    # A writing session: authenticating records the token's last use now and then.
    with get_db(request).session() as session:
        principal = authenticate_token(session, secret)
    if principal is None:
        raise TaxiiError(401, "Unauthorized", "the token is unknown, expired or revoked")
    return principal


def _taxii(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Run a handler with the Accept check and every refusal as a TAXII error message."""

    def run(request: Request) -> Response:
        try:
            _accepts_taxii(request)
            return handler(request)
        except ClearinghouseError as exc:
            return _error_response(exc)

    return run


def _root_or_404(request: Request) -> None:
    if request.path_params.get("api_root") != API_ROOT:
        raise TaxiiError(404, "Not found", "no such API root")


def _collection_or_404(request: Request, principal: Principal) -> TaxiiCollection:
    _root_or_404(request)
    wanted = request.path_params["collection_id"]
    with get_db(request).read_session() as session:
        collection = find_collection(session, principal, wanted)
    if collection is not None:
        return collection
    # The same answer for a collection that does not exist and one the reader may not see.
    raise TaxiiError(404, "Not found", f"no collection {wanted[:64]!r} here")


def _collection_resource(collection: TaxiiCollection) -> dict[str, Any]:
    return {
        "id": collection.id,
        "title": collection.title,
        "description": collection.description,
        "alias": collection.alias,
        "can_read": True,
        "can_write": False,
        "media_types": [STIX_MEDIA_TYPE],
    }


@router.get(DISCOVERY_PATH)
def discovery(request: Request) -> Response:
    """TAXII 2.1 section 4.1: the server's discovery resource."""

    def handle(request: Request) -> Response:
        _principal(request)  # a bad token is a 401 here too
        base = public_base_url(request)
        return _json(
            {
                "title": "Clearinghouse TAXII 2.1",
                "description": "Vulnerability records as STIX 2.1, shared under TLP 2.0.",
                "default": f"{base}{ROOT_PATH}/",
                "api_roots": [f"{base}{ROOT_PATH}/"],
            }
        )

    return _taxii(handle)(request)


@router.get("/taxii2/{api_root}/")
def api_root(request: Request) -> Response:
    """TAXII 2.1 section 4.2: the API root's information."""

    def handle(request: Request) -> Response:
        _principal(request)
        _root_or_404(request)
        return _json(
            {
                "title": "Clearinghouse vulnerabilities",
                "description": "One collection per TLP level and sharing group you may read.",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": get_settings(request).max_request_bytes,
            }
        )

    return _taxii(handle)(request)


@router.get("/taxii2/{api_root}/status/{status_id}/")
def status(request: Request) -> Response:
    """TAXII 2.1 section 4.3: nothing is ever added here, so no status exists."""

    def handle(request: Request) -> Response:
        _principal(request)
        _root_or_404(request)
        raise TaxiiError(404, "Not found", "this server is read-only and keeps no status")

    return _taxii(handle)(request)


@router.get("/taxii2/{api_root}/collections/")
def collections(request: Request) -> Response:
    """TAXII 2.1 section 5.1: the collections this reader is offered."""

    def handle(request: Request) -> Response:
        principal = _principal(request)
        _root_or_404(request)
        with get_db(request).read_session() as session:
            offered = collections_for(session, principal)
        return _json({"collections": [_collection_resource(c) for c in offered]})

    return _taxii(handle)(request)


@router.get("/taxii2/{api_root}/collections/{collection_id}/")
def collection(request: Request) -> Response:
    """TAXII 2.1 section 5.2: one collection."""

    def handle(request: Request) -> Response:
        principal = _principal(request)
        return _json(_collection_resource(_collection_or_404(request, principal)))

    return _taxii(handle)(request)


def _values(request: Request, name: str) -> frozenset[str]:
    values: list[str] = []
    for raw in request.query_params.getlist(name):
        values += [v.strip() for v in raw.split(",") if v.strip()]
    if len(values) > MAX_MATCH_VALUES:
        raise BadTaxiiRequest(f"{name} takes at most {MAX_MATCH_VALUES} values")
    return frozenset(values)


def _timestamp(name: str, text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadTaxiiRequest(f"{name}={text[:64]!r} is not an RFC 3339 timestamp") from None
    if value.tzinfo is None:
        raise BadTaxiiRequest(f"{name}={text[:64]!r} has no time zone (end it with Z)")
    return value


def _object_filter(request: Request, *, allow_added_after: bool = True) -> ObjectFilter:
    added_after = request.query_params.get("added_after")
    versions = _values(request, "match[version]") or frozenset({"last"})
    keywords = versions & {"last", "first", "all"}
    stamps = frozenset(_timestamp("match[version]", v) for v in versions - keywords)
    return ObjectFilter(
        added_after=_timestamp("added_after", added_after)
        if added_after and allow_added_after
        else None,
        ids=_values(request, "match[id]"),
        types=_values(request, "match[type]"),
        version_keywords=keywords,
        version_stamps=stamps,
        spec_versions=_values(request, "match[spec_version]"),
    )


def _limit(request: Request) -> int:
    settings = get_settings(request)
    text = request.query_params.get("limit")
    if text is None:
        return settings.taxii_page_size
    try:
        limit = int(text)
    except ValueError:
        raise BadTaxiiRequest(f"limit={text[:32]!r} is not a whole number") from None
    if limit < 1:
        raise BadTaxiiRequest("limit must be at least 1")
    return min(limit, settings.taxii_max_page_size)


def _page(request: Request, object_filter: ObjectFilter | None = None) -> Page:
    principal = _principal(request)
    collection = _collection_or_404(request, principal)
    token = request.query_params.get("next")
    after = Position.from_token(token) if token else None
    with get_db(request).read_session() as session:
        return collection_page(
            session,
            principal,
            collection,
            object_filter or _object_filter(request),
            limit=_limit(request),
            after=after,
            now=get_clock(request).now(),
        )


def _date_headers(objects: list[Served]) -> dict[str, str]:
    if not objects:
        return {}
    dates = [served.date_added for served in objects]
    return {
        "X-TAXII-Date-Added-First": taxii_timestamp(min(dates)),
        "X-TAXII-Date-Added-Last": taxii_timestamp(max(dates)),
    }


def _envelope(page: Page) -> dict[str, Any]:
    body: dict[str, Any] = {"more": page.more}
    if page.next is not None:
        body["next"] = page.next
    return body


@router.get("/taxii2/{api_root}/collections/{collection_id}/objects/")
def objects(request: Request) -> Response:
    """TAXII 2.1 section 5.4: the collection's objects, filtered and paged."""

    def handle(request: Request) -> Response:
        page = _page(request)
        body = _envelope(page)
        if page.objects:
            body["objects"] = [served.obj for served in page.objects]
        return _json(body, headers=_date_headers(page.objects))

    return _taxii(handle)(request)


@router.get("/taxii2/{api_root}/collections/{collection_id}/manifest/")
def manifest(request: Request) -> Response:
    """TAXII 2.1 section 5.3: what the collection holds, without the objects."""

    def handle(request: Request) -> Response:
        page = _page(request)
        body = _envelope(page)
        if page.objects:
            body["objects"] = [
                {
                    "id": served.id,
                    "date_added": taxii_timestamp(served.date_added),
                    "version": served.version,
                    "media_type": STIX_MEDIA_TYPE,
                }
                for served in page.objects
            ]
        return _json(body, headers=_date_headers(page.objects))

    return _taxii(handle)(request)


def _one_object(request: Request) -> list[Served]:
    principal = _principal(request)
    collection = _collection_or_404(request, principal)
    object_id = request.path_params["object_id"]
    with get_db(request).read_session() as session:
        found = find_object(session, principal, collection, object_id, now=get_clock(request).now())
    if not found:
        raise TaxiiError(404, "Not found", f"no object {object_id[:80]!r} in this collection")
    return found


@router.get("/taxii2/{api_root}/collections/{collection_id}/objects/{object_id}/")
def get_object(request: Request) -> Response:
    """TAXII 2.1 section 5.6: one object (every version of it this server holds: one)."""

    def handle(request: Request) -> Response:
        found = _one_object(request)
        object_filter = _object_filter(request)
        kept = [s for s in found if object_filter.keeps(s.obj, s.date_added)]
        body: dict[str, Any] = {"more": False}
        if kept:
            body["objects"] = [served.obj for served in kept]
        return _json(body, headers=_date_headers(kept))

    return _taxii(handle)(request)


@router.get("/taxii2/{api_root}/collections/{collection_id}/objects/{object_id}/versions/")
def versions(request: Request) -> Response:
    """TAXII 2.1 section 5.8: the versions of one object."""

    def handle(request: Request) -> Response:
        found = _one_object(request)
        body = {"more": False, "versions": sorted(served.version for served in found)}
        return _json(body, headers=_date_headers(found))

    return _taxii(handle)(request)


def _read_only(request: Request) -> Response:
    def handle(request: Request) -> Response:
        principal = _principal(request)
        _collection_or_404(request, principal)
        raise TaxiiError(403, "Forbidden", "this collection is read-only (can_write is false)")

    return _taxii(handle)(request)


@router.post("/taxii2/{api_root}/collections/{collection_id}/objects/")
def add_objects(request: Request) -> Response:
    """TAXII 2.1 section 5.5: refused, every collection here is read-only."""
    return _read_only(request)


@router.delete("/taxii2/{api_root}/collections/{collection_id}/objects/{object_id}/")
def delete_object(request: Request) -> Response:
    """TAXII 2.1 section 5.7: refused, every collection here is read-only."""
    return _read_only(request)
