"""REST API of advisories: /api/v1/csaf/advisories (draft, edit, publish, versions, CSAF JSON).

Mounted under /csaf/advisories rather than /advisories because the disclosure area already
answers GET /api/v1/advisories and /api/v1/advisories/{case_id} (the advisories cases
produce). Routes only translate: who is asking (bearer token), now (the app's clock), the
instance signer, and the service that decides and acts.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from clearinghouse.advisories import service
from clearinghouse.advisories.models import AdvisoryStatus
from clearinghouse.advisories.schemas import (
    AdvisoryOut,
    DraftFieldsIn,
    DraftIn,
    PublicationOut,
    PublishIn,
    VersionOut,
)
from clearinghouse.advisories.signing import Signer, instance_signer
from clearinghouse.api.deps import current_principal, get_clock, get_db, get_settings
from clearinghouse.api.problems import PROBLEM_JSON
from clearinghouse.clock import Clock
from clearinghouse.identity.principal import Principal
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

router = APIRouter(prefix="/csaf/advisories", tags=["advisories"])

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}
_ERRORS: dict[int | str, dict[str, Any]] = {code: _PROBLEM for code in (401, 403, 404, 409, 422)}

Who = Annotated[Principal, Depends(current_principal)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Config = Annotated[Settings, Depends(get_settings)]
AdvisoryId = Annotated[int, Path(ge=1, le=2**31 - 1)]
VersionNumber = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[0-9]+$")]


def _out(db: Database, principal: Principal, advisory_id: int, clock: Clock) -> AdvisoryOut:
    with db.read_session() as session:
        return AdvisoryOut.of(
            service.get_advisory(session, principal, advisory_id=advisory_id, now=clock.now())
        )


@router.post("", status_code=201, response_model=AdvisoryOut, responses=_ERRORS)
def create_draft(body: DraftIn, principal: Who, db: Db, clock: Now) -> AdvisoryOut:
    """Draft an advisory from a vulnerability (any alias) or a published/closed case (analysts)."""
    with db.session() as session:
        advisory = service.create_draft(
            session,
            principal,
            vulnerability=body.vulnerability,
            case_id=body.case_id,
            profile=body.profile,
            changes=body.changes(),
            now=clock.now(),
        )
        advisory_id = advisory.id
    return _out(db, principal, advisory_id, clock)


@router.get("", response_model=list[AdvisoryOut], responses=_ERRORS)
def list_advisories(
    principal: Who,
    db: Db,
    clock: Now,
    status: Annotated[AdvisoryStatus | None, Query()] = None,
) -> list[AdvisoryOut]:
    """Advisories you may see, newest first: analysts every one, others the published
    versions their TLP, sharing group and embargo let them read."""
    with db.read_session() as session:
        views = service.list_advisories(session, principal, status=status, now=clock.now())
        return [AdvisoryOut.of(view) for view in views]


@router.get("/{advisory_id}", response_model=AdvisoryOut, responses=_ERRORS)
def get_advisory(advisory_id: AdvisoryId, principal: Who, db: Db, clock: Now) -> AdvisoryOut:
    """One advisory; a 404 for anyone who may read none of it."""
    return _out(db, principal, advisory_id, clock)


@router.patch("/{advisory_id}", response_model=AdvisoryOut, responses=_ERRORS)
def edit_draft(
    advisory_id: AdvisoryId, body: DraftFieldsIn, principal: Who, db: Db, clock: Now
) -> AdvisoryOut:
    """Edit what the next publication says, and its TLP, sharing group and embargo."""
    with db.session() as session:
        service.update_draft(
            session, principal, advisory_id=advisory_id, changes=body.changes(), now=clock.now()
        )
    return _out(db, principal, advisory_id, clock)


@router.get("/{advisory_id}/preview", responses=_ERRORS)
def preview(
    advisory_id: AdvisoryId, principal: Who, db: Db, clock: Now, settings: Config
) -> dict[str, Any]:
    """The CSAF document the next publication would produce (not validated, not stored)."""
    with db.read_session() as session:
        return service.preview(
            session, principal, advisory_id=advisory_id, settings=settings, now=clock.now()
        )


@router.post("/{advisory_id}/publish", response_model=PublicationOut, responses=_ERRORS)
def publish(
    advisory_id: AdvisoryId,
    body: PublishIn,
    principal: Who,
    db: Db,
    clock: Now,
    settings: Config,
) -> PublicationOut:
    """Publish the next version (interim or final): validated, hashed, signed, announced.

    An invalid document is a 422 listing every failure (`failures`), and nothing is stored.
    """

    def signer_for(session: Session) -> Signer:
        return instance_signer(settings, session=session, actor=principal.actor)

    with db.session() as session:
        publication = service.publish(
            session,
            principal,
            advisory_id=advisory_id,
            status=AdvisoryStatus(body.status),
            summary=body.summary,
            settings=settings,
            signer_for=signer_for,
            now=clock.now(),
        )
        return PublicationOut(
            created=publication.created,
            notified=publication.notified,
            version=VersionOut.of(publication.version),
        )


@router.get("/{advisory_id}/versions", response_model=list[VersionOut], responses=_ERRORS)
def list_versions(advisory_id: AdvisoryId, principal: Who, db: Db, clock: Now) -> list[VersionOut]:
    """The published versions you may read, oldest first."""
    return _out(db, principal, advisory_id, clock).versions


def _csaf_response(
    db: Database, principal: Principal, advisory_id: int, version: str | None, clock: Clock
) -> Response:
    with db.read_session() as session:
        row = service.get_version(
            session, principal, advisory_id=advisory_id, version=version, now=clock.now()
        )
        return Response(
            row.document.encode(),
            media_type="application/json",
            headers={"X-Content-Sha256": row.sha256, "X-Csaf-Version": row.version},
        )


@router.get(
    "/{advisory_id}/csaf.json",
    responses={**_ERRORS, 200: {"content": {"application/json": {}}}},
)
def latest_csaf(advisory_id: AdvisoryId, principal: Who, db: Db, clock: Now) -> Response:
    """The latest version you may read, as the exact CSAF bytes that were signed."""
    return _csaf_response(db, principal, advisory_id, None, clock)


@router.get(
    "/{advisory_id}/versions/{version}/csaf.json",
    responses={**_ERRORS, 200: {"content": {"application/json": {}}}},
)
def version_csaf(
    advisory_id: AdvisoryId, version: VersionNumber, principal: Who, db: Db, clock: Now
) -> Response:
    """One version's CSAF document, byte for byte as signed (its `.asc` is in `signature`)."""
    return _csaf_response(db, principal, advisory_id, version, clock)
