"""REST API of coordinated disclosure: /api/v1/cases and /api/v1/advisories.

Routes only translate: who is asking (bearer token), now (the app's clock), and the
service that decides and acts. A case the caller takes no part in is a 404, exactly as
a case that does not exist.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse

from clearinghouse.api.deps import current_principal, get_clock, get_db
from clearinghouse.api.problems import PROBLEM_JSON
from clearinghouse.clock import Clock
from clearinghouse.disclosure import contents, publication, service
from clearinghouse.disclosure.models import CaseStatus
from clearinghouse.disclosure.schemas import (
    AdvisoryOut,
    AdvisorySummaryOut,
    CaseFieldsIn,
    CaseIn,
    CaseOut,
    CaseSummaryOut,
    InvitationOut,
    MessageIn,
    MessageOut,
    PostedMessageOut,
    PostedStatementOut,
    StatementIn,
    StatementOut,
    TransitionIn,
    VendorIn,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.storage import Database

router = APIRouter(tags=["coordinated disclosure"])

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}
_ERRORS: dict[int | str, dict[str, Any]] = {code: _PROBLEM for code in (401, 403, 404, 409, 422)}

Who = Annotated[Principal, Depends(current_principal)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
CaseId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Slug = Annotated[str, Path(min_length=1, max_length=64)]


def _case_out(db: Database, principal: Principal, case_id: int, clock: Clock) -> CaseOut:
    with db.read_session() as session:
        return CaseOut.of_contents(
            contents.case_contents(session, principal, case_id=case_id, now=clock.now())
        )


# --- cases ---------------------------------------------------------------------------------


@router.post("/cases", status_code=201, response_model=CaseOut, responses=_ERRORS)
def open_case(body: CaseIn, principal: Who, db: Db, clock: Now) -> CaseOut:
    """Open a case from validated reports (coordinators)."""
    with db.session() as session:
        case = service.open_case(
            session, principal, report_ids=body.report_ids, changes=body.changes(), now=clock.now()
        )
        case_id = case.id
    return _case_out(db, principal, case_id, clock)


@router.get("/cases", response_model=list[CaseSummaryOut], responses=_ERRORS)
def list_cases(
    principal: Who, db: Db, clock: Now, status: Annotated[CaseStatus | None, Query()] = None
) -> list[CaseSummaryOut]:
    """The cases you take part in (every case, for coordinators), newest first."""
    with db.read_session() as session:
        cases = service.list_cases(session, principal, status=status, now=clock.now())
        return [CaseSummaryOut.of(c) for c in cases]


@router.get("/cases/{case_id}", response_model=CaseOut, responses=_ERRORS)
def get_case(case_id: CaseId, principal: Who, db: Db, clock: Now) -> CaseOut:
    """One case, whole, for its coordinators and invited vendors; a 404 for anyone else."""
    return _case_out(db, principal, case_id, clock)


@router.patch("/cases/{case_id}", response_model=CaseOut, responses=_ERRORS)
def update_case(case_id: CaseId, body: CaseFieldsIn, principal: Who, db: Db, clock: Now) -> CaseOut:
    """Edit a case (coordinators); after its advisory, only a running embargo may move."""
    with db.session() as session:
        service.update_case(
            session, principal, case_id=case_id, changes=body.changes(), now=clock.now()
        )
    return _case_out(db, principal, case_id, clock)


@router.post(
    "/cases/{case_id}/vendors", status_code=201, response_model=InvitationOut, responses=_ERRORS
)
def invite_vendor(
    case_id: CaseId, body: VendorIn, principal: Who, db: Db, clock: Now
) -> InvitationOut:
    """Invite a vendor organisation; it sees this case, and only its own cases."""
    with db.session() as session:
        row = service.invite_vendor(
            session,
            principal,
            case_id=case_id,
            organisation_slug=body.organisation,
            now=clock.now(),
        )
        return InvitationOut.of(row)


@router.delete(
    "/cases/{case_id}/vendors/{organisation}", response_model=InvitationOut, responses=_ERRORS
)
def remove_vendor(
    case_id: CaseId,
    organisation: Slug,
    principal: Who,
    db: Db,
    clock: Now,
    reason: Annotated[str, Query(max_length=2000)] = "",
) -> InvitationOut:
    """Take a vendor off the case: from now on it gets a 404 like anyone outside it."""
    with db.session() as session:
        row = service.remove_vendor(
            session,
            principal,
            case_id=case_id,
            organisation_slug=organisation,
            reason=reason,
            now=clock.now(),
        )
        return InvitationOut.of(row)


@router.get("/cases/{case_id}/statements", response_model=list[StatementOut], responses=_ERRORS)
def list_statements(case_id: CaseId, principal: Who, db: Db, clock: Now) -> list[StatementOut]:
    """Every statement of the case's vendors, oldest first (`current`: each one's latest)."""
    return _case_out(db, principal, case_id, clock).statements


@router.post(
    "/cases/{case_id}/statements",
    status_code=201,
    response_model=PostedStatementOut,
    responses=_ERRORS,
)
def post_statement(
    case_id: CaseId, body: StatementIn, principal: Who, db: Db, clock: Now
) -> PostedStatementOut:
    """State whether your products are affected, not affected or fixed, and in which versions."""
    with db.session() as session:
        row = service.post_statement(
            session,
            principal,
            case_id=case_id,
            status=body.status,
            versions=body.versions,
            statement=body.statement,
            vendor_slug=body.vendor,
            now=clock.now(),
        )
        return PostedStatementOut.of(row)


@router.get("/cases/{case_id}/messages", response_model=list[MessageOut], responses=_ERRORS)
def list_messages(case_id: CaseId, principal: Who, db: Db, clock: Now) -> list[MessageOut]:
    """The case's messages, each reply after its parent (`depth` tells how deep)."""
    return _case_out(db, principal, case_id, clock).messages


@router.post(
    "/cases/{case_id}/messages", status_code=201, response_model=PostedMessageOut, responses=_ERRORS
)
def post_message(
    case_id: CaseId, body: MessageIn, principal: Who, db: Db, clock: Now
) -> PostedMessageOut:
    """Write to every party of the case, or reply to a message (`parent_id`)."""
    with db.session() as session:
        row = service.post_message(
            session,
            principal,
            case_id=case_id,
            body=body.body,
            parent_id=body.parent_id,
            now=clock.now(),
        )
        return PostedMessageOut.of(row)


@router.post("/cases/{case_id}/transitions", response_model=CaseOut, responses=_ERRORS)
def move_case(case_id: CaseId, body: TransitionIn, principal: Who, db: Db, clock: Now) -> CaseOut:
    """Move the case on; publishing waits for the embargo, publishing or closing produces
    the advisory and stores its OSV record under the case's TLP and embargo."""
    with db.session() as session:
        service.move_case(
            session, principal, case_id=case_id, to=body.to, reason=body.reason, now=clock.now()
        )
    return _case_out(db, principal, case_id, clock)


@router.get("/cases/{case_id}/advisory-draft", response_model=AdvisoryOut, responses=_ERRORS)
def advisory_draft(case_id: CaseId, principal: Who, db: Db, clock: Now) -> AdvisoryOut:
    """The advisory as the case would publish it now (the case's parties)."""
    with db.read_session() as session:
        case, _ = service.get_case(session, principal, case_id=case_id, now=clock.now())
        draft = publication.draft_advisory(session, principal, case_id=case_id, now=clock.now())
        return AdvisoryOut.of_draft(case.id, case.title, case.tlp, draft)


# --- advisories ------------------------------------------------------------------------------


@router.get("/advisories", response_model=list[AdvisorySummaryOut], responses=_ERRORS)
def list_advisories(principal: Who, db: Db, clock: Now) -> list[AdvisorySummaryOut]:
    """Advisories of published or closed cases that you may read: after the embargo, by TLP."""
    with db.read_session() as session:
        rows = publication.list_advisories(session, principal, now=clock.now())
        return [AdvisorySummaryOut.of(row) for row in rows]


@router.get("/advisories/{case_id}", response_model=AdvisoryOut, responses=_ERRORS)
def get_advisory(case_id: CaseId, principal: Who, db: Db, clock: Now) -> AdvisoryOut:
    """A case's advisory: Markdown, HTML and its OSV record; a 404 until you may read it."""
    with db.read_session() as session:
        published = publication.read_advisory(session, principal, case_id=case_id, now=clock.now())
        return AdvisoryOut.of_published(published)


@router.get(
    "/advisories/{case_id}/advisory.md",
    response_class=PlainTextResponse,
    responses={**_ERRORS, 200: {"content": {"text/markdown": {}}}},
)
def get_advisory_markdown(case_id: CaseId, principal: Who, db: Db, clock: Now) -> PlainTextResponse:
    """The advisory as Markdown, to publish as it is."""
    with db.read_session() as session:
        published = publication.read_advisory(session, principal, case_id=case_id, now=clock.now())
        return PlainTextResponse(
            published.advisory.markdown, media_type="text/markdown; charset=utf-8"
        )


@router.get(
    "/advisories/{case_id}/osv.json",
    responses={**_ERRORS, 200: {"content": {"application/json": {}}}},
)
def get_advisory_osv(case_id: CaseId, principal: Who, db: Db, clock: Now) -> PlainTextResponse:
    """The case's OSV record, as stored in the vulnerability store."""
    with db.read_session() as session:
        published = publication.read_advisory(session, principal, case_id=case_id, now=clock.now())
        return PlainTextResponse(published.advisory.osv_document, media_type="application/json")
