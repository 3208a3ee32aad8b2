"""REST API of sharing groups (/api/v1/sharing-groups) and of labels (PUT .../label).

Routes only translate: who is asking (bearer token), now (the app's clock), and the
service that decides and acts. A group the caller is not a member of is a 404, exactly
as a group that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from clearinghouse.api.deps import current_principal, get_clock, get_db
from clearinghouse.api.problems import PROBLEM_JSON
from clearinghouse.clock import Clock
from clearinghouse.identity.principal import Principal
from clearinghouse.sharing import labels, service, shared
from clearinghouse.sharing.errors import InvalidLabel
from clearinghouse.sharing.schemas import (
    GroupIn,
    GroupOut,
    LabelIn,
    LabelOut,
    MemberIn,
    SharedFindingOut,
    VulnLabelIn,
)
from clearinghouse.storage import Database

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}
_ERRORS: dict[int | str, dict[str, Any]] = {code: _PROBLEM for code in (401, 403, 404, 409, 422)}

Who = Annotated[Principal, Depends(current_principal)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Slug = Annotated[str, Path(min_length=1, max_length=64)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]

groups = APIRouter(prefix="/sharing-groups", tags=["sharing"])
label_routes = APIRouter(tags=["sharing"])
router = APIRouter()


# --- sharing groups ----------------------------------------------------------------------


@groups.post("", status_code=201, response_model=GroupOut, responses=_ERRORS)
def create_group(body: GroupIn, principal: Who, db: Db) -> GroupOut:
    """Create a sharing group (operators)."""
    with db.session() as session:
        group = service.create_group(
            session, principal, slug=body.slug, name=body.name, description=body.description
        )
        return GroupOut.of(group)


@groups.get("", response_model=list[GroupOut], responses=_ERRORS)
def list_groups(principal: Who, db: Db) -> list[GroupOut]:
    """The groups you are a member of (every group, for operators), with their members."""
    with db.read_session() as session:
        return [GroupOut.of(g) for g in service.list_groups(session, principal)]


@groups.get("/{slug}", response_model=GroupOut, responses=_ERRORS)
def show_group(slug: Slug, principal: Who, db: Db) -> GroupOut:
    """One group and its members (its members and operators)."""
    with db.read_session() as session:
        return GroupOut.of(service.show_group(session, principal, slug))


@groups.post("/{slug}/members", status_code=201, response_model=GroupOut, responses=_ERRORS)
def add_member(slug: Slug, body: MemberIn, principal: Who, db: Db) -> GroupOut:
    """Add an organisation, or name one of its people (operators)."""
    with db.session() as session:
        group = service.add_member(
            session, principal, slug=slug, organisation=body.organisation, user=body.user
        )
        return GroupOut.of(group)


@groups.delete("/{slug}/members", response_model=GroupOut, responses=_ERRORS)
def remove_member(
    slug: Slug,
    principal: Who,
    db: Db,
    organisation: Annotated[str, Query(min_length=1, max_length=64)],
    user: Annotated[str | None, Query(max_length=254)] = None,
) -> GroupOut:
    """Remove an organisation's membership or, with `user`, one named person (operators)."""
    with db.session() as session:
        group = service.remove_member(
            session, principal, slug=slug, organisation=organisation, user=user
        )
        return GroupOut.of(group)


@groups.get("/{slug}/findings", response_model=list[SharedFindingOut], responses=_ERRORS)
def shared_findings(slug: Slug, principal: Who, db: Db) -> list[SharedFindingOut]:
    """Inventory findings that organisations shared with the group, as far as you may read them."""
    with db.read_session() as session:
        return [SharedFindingOut.of(f) for f in shared.shared_findings(session, principal, slug)]


# --- labels ------------------------------------------------------------------------------


@label_routes.put("/vulns/{osv_id}/label", response_model=LabelOut, responses=_ERRORS)
def label_vulnerability(
    osv_id: Annotated[str, Path(min_length=1, max_length=255)],
    body: VulnLabelIn,
    principal: Who,
    db: Db,
    clock: Now,
) -> LabelOut:
    """Relabel a stored record: TLP, sharing group, owner, embargo (operators)."""
    if body.embargo_ends_at is not None and body.embargo_ends_at.tzinfo is None:
        raise InvalidLabel("embargo_ends_at: give a time zone, e.g. 2026-12-31T00:00:00Z")
    with db.session() as session:
        label = labels.label_vulnerability(
            session,
            principal,
            osv_id,
            tlp=body.tlp,
            group=body.sharing_group,
            owner=body.owner,
            embargo_ends_at=body.embargo_ends_at,
            now=clock.now(),
        )
        return LabelOut.of(label)


@label_routes.put("/reports/{report_id}/label", response_model=LabelOut, responses=_ERRORS)
def label_report(report_id: Id, body: LabelIn, principal: Who, db: Db) -> LabelOut:
    """Relabel a report (its reporter and analysts)."""
    with db.session() as session:
        label = labels.label_report(
            session, principal, report_id, tlp=body.tlp, group=body.sharing_group
        )
        return LabelOut.of(label)


@label_routes.put("/cases/{case_id}/label", response_model=LabelOut, responses=_ERRORS)
def label_case(case_id: Id, body: LabelIn, principal: Who, db: Db, clock: Now) -> LabelOut:
    """Relabel a case, and so its advisory-to-be (coordinators)."""
    with db.session() as session:
        label = labels.label_case(
            session, principal, case_id, tlp=body.tlp, group=body.sharing_group, now=clock.now()
        )
        return LabelOut.of(label)


@label_routes.put(
    "/inventories/{inventory_id}/findings/{finding_id}/label",
    response_model=LabelOut,
    responses=_ERRORS,
)
def label_finding(
    inventory_id: Id, finding_id: Id, body: LabelIn, principal: Who, db: Db
) -> LabelOut:
    """Share a finding with a sharing group by labelling it (the inventory's organisation)."""
    with db.session() as session:
        label = labels.label_finding(
            session, principal, inventory_id, finding_id, tlp=body.tlp, group=body.sharing_group
        )
        return LabelOut.of(label)


router.include_router(groups)
router.include_router(label_routes)
