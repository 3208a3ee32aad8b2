"""REST API of model review: /api/v1/models and /api/v1/reviews.

Routes only translate: who is asking (bearer token), now (the app's clock), and the
service that decides and acts. No route returns, logs or audits a model credential.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from clearinghouse.api.deps import current_principal, get_clock, get_db, get_settings
from clearinghouse.api.problems import PROBLEM_JSON
from clearinghouse.clock import Clock
from clearinghouse.identity.principal import Principal
from clearinghouse.reports.models import Report
from clearinghouse.review import service
from clearinghouse.review.errors import (
    InvalidModelVersion,
    ModelCardTooLarge,
    UnknownActivity,
    UnknownModelVersion,
)
from clearinghouse.review.schemas import (
    ActivityIn,
    ActivityOut,
    ActivityUpdateIn,
    AssignmentIn,
    AssignmentOut,
    DesignationOut,
    FindingIn,
    FindingOut,
    GrantIn,
    GrantOut,
    IssuedGrantOut,
    ModelIn,
    ModelOut,
    NoteIn,
    NoteOut,
    PartnerIn,
    ReleaseDateIn,
    ReleaseDateOut,
    ResubmissionIn,
    ReviewOut,
    ReviewSummaryOut,
    SubmissionIn,
    VersionIn,
    VersionOut,
    review_out,
)
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

router = APIRouter(tags=["model review"])

_PROBLEM = {"content": {PROBLEM_JSON: {}}, "description": "An RFC 9457 problem"}
_ERRORS: dict[int | str, dict[str, Any]] = {code: _PROBLEM for code in (401, 403, 404, 409, 422)}

Who = Annotated[Principal, Depends(current_principal)]
Db = Annotated[Database, Depends(get_db)]
Now = Annotated[Clock, Depends(get_clock)]
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _now(clock: Clock) -> datetime:
    return clock.now()


# --- models ------------------------------------------------------------------------------


@router.post("/models", status_code=201, response_model=ModelOut, responses=_ERRORS)
def register_model(body: ModelIn, principal: Who, db: Db, clock: Now) -> ModelOut:
    """Register a model of your organisation."""
    with db.session() as session:
        model = service.register_model(
            session,
            principal,
            name=body.name,
            description=body.description,
            organisation_slug=body.organisation,
            now=_now(clock),
        )
        return ModelOut.of(model, [])


@router.get("/models", response_model=list[ModelOut], responses=_ERRORS)
def list_models(principal: Who, db: Db, clock: Now) -> list[ModelOut]:
    """Your organisation's models and their versions (every model, for operators)."""
    with db.read_session() as session:
        models = service.list_models(session, principal, now=_now(clock))
        return [ModelOut.of(m, service.list_versions(session, m)) for m in models]


def _decoded_card(body: VersionIn) -> tuple[str, bytes] | None:
    if body.model_card_base64 is None:
        return None
    # Base64 is 4/3 of the bytes: refuse an oversized card before decoding it.
    if len(body.model_card_base64) > service.MODEL_CARD_MAX_BYTES * 4 // 3 + 4:
        raise ModelCardTooLarge("a model card may be at most 5 MiB")
    try:
        content = base64.b64decode(body.model_card_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidModelVersion("model_card_base64 is not base64") from None
    return body.model_card_name or "model-card", content


@router.post(
    "/models/{model_id}/versions", status_code=201, response_model=VersionOut, responses=_ERRORS
)
def add_version(
    model_id: Id,
    body: VersionIn,
    principal: Who,
    db: Db,
    clock: Now,
    settings: Annotated[Settings, Depends(get_settings)],
) -> VersionOut:
    """Register a version; its API credential is stored encrypted and never shown again."""
    with db.session() as session:
        version = service.add_version(
            session,
            principal,
            model_id=model_id,
            version=body.version,
            planned_release_at=body.planned_release_at,
            access_kind=body.access_kind,
            api_base_url=body.api_base_url,
            api_credential=body.api_credential,
            weights_location=body.weights_location,
            declared_training_compute_flop=body.declared_training_compute_flop,
            modalities=tuple(body.modalities),
            description=body.description,
            model_card=_decoded_card(body),
            encryption_key=settings.encryption_key,
            now=_now(clock),
        )
        return VersionOut.of(version)


def _version_of_model(version_id: int, model_id: int, out: VersionOut) -> None:
    if out.model_id != model_id:
        raise UnknownModelVersion(f"no model version {version_id} of model {model_id}")


@router.put(
    "/models/{model_id}/versions/{version_id}/model-card",
    response_model=VersionOut,
    responses={**_ERRORS, 413: _PROBLEM},
)
async def upload_model_card(
    model_id: Id,
    version_id: Id,
    request: Request,
    principal: Who,
    db: Db,
    clock: Now,
    name: Annotated[str, Query(min_length=1, max_length=200)] = "model-card",
) -> VersionOut:
    """Upload the model card as the raw request body (at most 5 MiB)."""
    content = bytearray()
    async for chunk in request.stream():
        content.extend(chunk)
        if len(content) > service.MODEL_CARD_MAX_BYTES:
            raise ModelCardTooLarge("a model card may be at most 5 MiB")

    def store() -> VersionOut:
        with db.session() as session:
            version = service.get_version(
                session, principal, model_version_id=version_id, now=_now(clock)
            )
            _version_of_model(version_id, model_id, VersionOut.of(version))
            version = service.set_model_card(
                session,
                principal,
                model_version_id=version_id,
                name=name,
                content=bytes(content),
                now=_now(clock),
            )
            return VersionOut.of(version)

    return await run_in_threadpool(store)


@router.patch(
    "/models/{model_id}/versions/{version_id}", response_model=ReleaseDateOut, responses=_ERRORS
)
def move_release_date(
    model_id: Id, version_id: Id, body: ReleaseDateIn, principal: Who, db: Db, clock: Now
) -> ReleaseDateOut:
    """Move the planned release; an open review's window follows it. Nothing waits on it."""
    with db.session() as session:
        now = _now(clock)
        current = service.get_version(session, principal, model_version_id=version_id, now=now)
        _version_of_model(version_id, model_id, VersionOut.of(current))
        review = service.move_release_date(
            session,
            principal,
            model_version_id=version_id,
            planned_release_at=body.planned_release_at,
            now=now,
        )
        return ReleaseDateOut(
            version=VersionOut.of(current),
            review_id=review.id if review else None,
            window_closes_at=review.window_closes_at if review else None,
        )


# --- reviews -----------------------------------------------------------------------------


@router.post("/reviews", status_code=201, response_model=ReviewSummaryOut, responses=_ERRORS)
def submit(body: SubmissionIn, principal: Who, db: Db, clock: Now) -> ReviewSummaryOut:
    """Submit a model version for voluntary review; the window opens now."""
    with db.session() as session:
        review = service.submit_for_review(
            session, principal, model_version_id=body.model_version_id, now=_now(clock)
        )
        return ReviewSummaryOut.of(review)


@router.get("/reviews", response_model=list[ReviewSummaryOut], responses=_ERRORS)
def list_reviews(principal: Who, db: Db, clock: Now) -> list[ReviewSummaryOut]:
    """The reviews you take part in, newest first."""
    # A writing session: listing closes reviews whose window has ended.
    with db.session() as session:
        return [
            ReviewSummaryOut.of(r)
            for r in service.list_reviews(session, principal, now=_now(clock))
        ]


@router.get("/reviews/{review_id}", response_model=ReviewOut, responses=_ERRORS)
def get_review(review_id: Id, principal: Who, db: Db, clock: Now) -> object:
    """One review, in the redaction your role gets (`view`); a 404 if you take no part."""
    with db.session() as session:
        contents = service.review_contents(session, principal, review_id=review_id, now=_now(clock))
        return review_out(contents)


@router.post("/reviews/{review_id}/withdraw", response_model=ReviewSummaryOut, responses=_ERRORS)
def withdraw(review_id: Id, principal: Who, db: Db, clock: Now) -> ReviewSummaryOut:
    """Withdraw the submission; the release date stays yours."""
    with db.session() as session:
        return ReviewSummaryOut.of(
            service.withdraw(session, principal, review_id=review_id, now=_now(clock))
        )


@router.post(
    "/reviews/{review_id}/resubmit",
    status_code=201,
    response_model=ReviewSummaryOut,
    responses=_ERRORS,
)
def resubmit(
    review_id: Id, body: ResubmissionIn, principal: Who, db: Db, clock: Now
) -> ReviewSummaryOut:
    """Submit a new version in place of this one (this review closes as superseded)."""
    with db.session() as session:
        review = service.resubmit(
            session,
            principal,
            review_id=review_id,
            model_version_id=body.model_version_id,
            now=_now(clock),
        )
        return ReviewSummaryOut.of(review)


@router.post(
    "/reviews/{review_id}/assignments",
    status_code=201,
    response_model=AssignmentOut,
    responses=_ERRORS,
)
def assign(review_id: Id, body: AssignmentIn, principal: Who, db: Db, clock: Now) -> AssignmentOut:
    """Assign a reviewing agency, and optionally one of its reviewers (operators)."""
    with db.session() as session:
        assignment = service.assign(
            session,
            principal,
            review_id=review_id,
            organisation_slug=body.organisation,
            reviewer_email=body.reviewer_email,
            now=_now(clock),
        )
        return AssignmentOut.of(assignment)


@router.post(
    "/reviews/{review_id}/activities",
    status_code=201,
    response_model=ActivityOut,
    responses=_ERRORS,
)
def add_activity(
    review_id: Id, body: ActivityIn, principal: Who, db: Db, clock: Now
) -> ActivityOut:
    """Add a checklist activity due inside the window (assigned reviewers)."""
    with db.session() as session:
        activity = service.add_activity(
            session,
            principal,
            review_id=review_id,
            kind=body.kind,
            title=body.title,
            due_at=body.due_at,
            owner_email=body.owner_email,
            now=_now(clock),
        )
        return ActivityOut.of(activity)


@router.patch(
    "/reviews/{review_id}/activities/{activity_id}", response_model=ActivityOut, responses=_ERRORS
)
def update_activity(
    review_id: Id, activity_id: Id, body: ActivityUpdateIn, principal: Who, db: Db, clock: Now
) -> ActivityOut:
    """Record an activity's progress or result."""
    with db.session() as session:
        activity = service.update_activity(
            session,
            principal,
            activity_id=activity_id,
            status=body.status,
            result_summary=body.result_summary,
            now=_now(clock),
        )
        if activity.review_id != review_id:
            raise UnknownActivity(f"no activity {activity_id} in review {review_id}")
        return ActivityOut.of(activity)


@router.post(
    "/reviews/{review_id}/notes", status_code=201, response_model=NoteOut, responses=_ERRORS
)
def add_note(review_id: Id, body: NoteIn, principal: Who, db: Db, clock: Now) -> NoteOut:
    """Keep a restricted note: reviewers only, never shown to the developer."""
    with db.session() as session:
        note = service.add_note(
            session, principal, review_id=review_id, body=body.body, now=_now(clock)
        )
        return NoteOut.of(note)


@router.post(
    "/reviews/{review_id}/partners",
    status_code=201,
    response_model=DesignationOut,
    responses=_ERRORS,
)
def propose_partner(
    review_id: Id, body: PartnerIn, principal: Who, db: Db, clock: Now
) -> DesignationOut:
    """Propose a trusted partner (the developer's own proposal counts as its consent)."""
    with db.session() as session:
        designation = service.propose_partner(
            session, principal, review_id=review_id, partner_slug=body.partner, now=_now(clock)
        )
        return DesignationOut.of(designation)


def _designation_route(verb: str, summary: str) -> None:
    act = {
        "consent": service.consent_partner,
        "accept": service.accept_designation,
        "decline": service.decline_designation,
    }[verb]

    def decide(designation_id: Id, principal: Who, db: Db, clock: Now) -> DesignationOut:
        with db.session() as session:
            designation = act(session, principal, designation_id=designation_id, now=_now(clock))
            return DesignationOut.of(designation)

    decide.__doc__ = summary
    router.add_api_route(
        f"/partner-designations/{{designation_id}}/{verb}",
        decide,
        methods=["POST"],
        response_model=DesignationOut,
        responses=_ERRORS,
        name=f"designation_{verb}",
    )


_designation_route("consent", "The developer consents to a partner an agency proposed.")
_designation_route("accept", "The designated partner accepts.")
_designation_route("decline", "The designated partner declines.")


@router.post(
    "/partner-designations/{designation_id}/grants",
    status_code=201,
    response_model=IssuedGrantOut,
    responses=_ERRORS,
)
def issue_grant(
    designation_id: Id, body: GrantIn, principal: Who, db: Db, clock: Now
) -> IssuedGrantOut:
    """Give an accepted partner time-limited access; the credential is shown this once."""
    with db.session() as session:
        now = _now(clock)
        grant, secret = service.issue_grant(
            session,
            principal,
            designation_id=designation_id,
            scope=body.scope,
            ends_at=body.ends_at,
            instructions=body.instructions,
            now=now,
        )
        out = GrantOut.of(grant, active=True)
        return IssuedGrantOut(**out.model_dump(), credential=secret)


@router.post("/grants/{grant_id}/revoke", response_model=GrantOut, responses=_ERRORS)
def revoke_grant(grant_id: Id, principal: Who, db: Db, clock: Now) -> GrantOut:
    """End a partner's access at once (the developer or an operator)."""
    with db.session() as session:
        grant = service.revoke_grant(session, principal, grant_id=grant_id, now=_now(clock))
        return GrantOut.of(grant, active=False)


@router.post(
    "/reviews/{review_id}/findings", status_code=201, response_model=FindingOut, responses=_ERRORS
)
def record_finding(
    review_id: Id, body: FindingIn, principal: Who, db: Db, clock: Now
) -> FindingOut:
    """Record a finding; a software vulnerability also becomes a clearinghouse report."""
    with db.session() as session:
        finding = service.record_finding(
            session,
            principal,
            review_id=review_id,
            kind=body.kind,
            title=body.title,
            description=body.description,
            severity=body.severity,
            restricted=body.restricted,
            package_ecosystem=body.package_ecosystem,
            package_name=body.package_name,
            affected_versions=body.affected_versions,
            cwe=body.cwe,
            cvss_vector=body.cvss_vector,
            now=_now(clock),
        )
        report = session.get(Report, finding.report_id) if finding.report_id else None
        return FindingOut.of(finding, report)
