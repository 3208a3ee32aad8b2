"""REST API of inventories: /api/v1/inventories (upload, list, read, decide on findings).

Routes only translate: who is asking (bearer token), now (the app's clock), and the
service that decides and acts. An inventory of another organisation is a 404, exactly
like one that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, UploadFile

from clearinghouse.api.deps import current_principal, get_clock, get_db
from clearinghouse.api.problems import PROBLEM_JSON
from clearinghouse.clock import Clock
from clearinghouse.identity.principal import Principal
from clearinghouse.matching.findings import Severity
from clearinghouse.sbom import service
from clearinghouse.sbom.errors import InventoryError, SbomTooLarge
from clearinghouse.sbom.models import FindingStatus, SbomUpload
from clearinghouse.sbom.schemas import (
    EventOut,
    FindingDetailOut,
    FindingOut,
    FindingStatusIn,
    InventoryOut,
    InventorySummaryOut,
    UploadResultOut,
)
from clearinghouse.storage import Database

router = APIRouter(prefix="/inventories", tags=["inventories"])

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}
_ERRORS: dict[int | str, dict[str, Any]] = {code: _PROBLEM for code in (401, 403, 404, 409, 422)}

Who = Annotated[Principal, Depends(current_principal)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def read_limited(upload: UploadFile) -> bytes:
    """The uploaded file, refused as soon as it passes the SBOM size limit."""
    data = upload.file.read(service.MAX_SBOM_BYTES + 1)
    if len(data) > service.MAX_SBOM_BYTES:
        raise SbomTooLarge(f"an SBOM may be at most {service.MAX_SBOM_BYTES // (1024 * 1024)} MiB")
    return data


@router.post(
    "",
    status_code=201,
    response_model=UploadResultOut,
    responses={**_ERRORS, 413: _PROBLEM},
)
def upload_sbom(
    principal: Who,
    db: Db,
    clock: Now,
    file: Annotated[UploadFile, File(description="CycloneDX, SPDX or a lockfile")],
    inventory: Annotated[str, Form(min_length=1, max_length=200)],
    organisation: Annotated[
        str | None, Form(max_length=64, description="Organisation slug (operators only)")
    ] = None,
) -> UploadResultOut:
    """Upload an SBOM as the latest version of an inventory (created on first upload)."""
    data = read_limited(file)
    with db.session() as session:
        outcome = service.upload_sbom(
            session,
            principal,
            inventory=inventory,
            data=data,
            filename=file.filename or "sbom",
            organisation=organisation or None,
            now=clock.now(),
        )
        upload = session.get(SbomUpload, outcome.upload_id)
        assert upload is not None
        return UploadResultOut.of(outcome, upload)


@router.get("", response_model=list[InventorySummaryOut], responses=_ERRORS)
def list_inventories(principal: Who, db: Db) -> list[InventorySummaryOut]:
    """Your organisation's inventories (every organisation's, for operators)."""
    with db.read_session() as session:
        return [InventorySummaryOut.of(s) for s in service.list_inventories(session, principal)]


@router.get("/{inventory_id}", response_model=InventoryOut, responses=_ERRORS)
def get_inventory(
    inventory_id: Id,
    principal: Who,
    db: Db,
    severity: Annotated[
        str | None, Query(description="unknown, low, medium, high or critical")
    ] = None,
    status: Annotated[FindingStatus | None, Query()] = None,
) -> InventoryOut:
    """An inventory with its uploads and findings, most severe first."""
    wanted = _severity(severity)
    with db.read_session() as session:
        view = service.get_inventory(
            session, principal, inventory_id=inventory_id, severity=wanted, status=status
        )
        return InventoryOut.of(view)


def _severity(text: str | None) -> Severity | None:
    if not text:
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise InventoryError(str(exc)) from None


@router.get(
    "/{inventory_id}/findings/{finding_id}", response_model=FindingDetailOut, responses=_ERRORS
)
def get_finding(inventory_id: Id, finding_id: Id, principal: Who, db: Db) -> FindingDetailOut:
    """A finding with its history (opened, fixed, reopened, decisions)."""
    with db.read_session() as session:
        finding, events = service.get_finding(
            session, principal, inventory_id=inventory_id, finding_id=finding_id
        )
        return FindingDetailOut(
            **FindingOut.of(finding).model_dump(), history=[EventOut.of(e) for e in events]
        )


@router.patch("/{inventory_id}/findings/{finding_id}", response_model=FindingOut, responses=_ERRORS)
def set_finding_status(
    inventory_id: Id, finding_id: Id, body: FindingStatusIn, principal: Who, db: Db, clock: Now
) -> FindingOut:
    """Decide on a finding: accepted or not_affected (with a reason), or back to new."""
    with db.session() as session:
        finding = service.set_finding_status(
            session,
            principal,
            inventory_id=inventory_id,
            finding_id=finding_id,
            status=FindingStatus(body.status),
            reason=body.reason,
            now=clock.now(),
        )
        return FindingOut.of(finding)
