"""Model review services: register, submit, assign, test with partners, record, close.

Every function checks `identity.policy` first, audits its change in the same
transaction and queues its notifications. None of them touches a release: moving,
withdrawing and closing change the review only, and a window that ends closes the
review with whatever it has.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from clearinghouse import audit
from clearinghouse.errors import Unauthenticated
from clearinghouse.identity.models import Organisation, OrgKind, Role, User
from clearinghouse.identity.policy import (
    ReviewAction,
    ReviewParties,
    ReviewView,
    require_review,
    review_view,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.reports.models import DiscoveredBy, Report
from clearinghouse.reports.service import create_report
from clearinghouse.review import notifications, windows
from clearinghouse.review.errors import (
    DesignationNotReady,
    DuplicateDesignation,
    DuplicateModel,
    DuplicateModelVersion,
    InvalidModelVersion,
    ModelCardTooLarge,
    OutsideReviewWindow,
    ReviewAlreadyOpen,
    ReviewError,
    ReviewNotOpen,
    UnknownActivity,
    UnknownDesignation,
    UnknownGrant,
    UnknownModel,
    UnknownModelVersion,
    UnknownReview,
)
from clearinghouse.review.models import (
    AccessGrant,
    AccessKind,
    ActivityKind,
    ActivityStatus,
    CloseReason,
    DesignationStatus,
    FindingKind,
    FrontierModel,
    ModelVersion,
    PartnerDesignation,
    Review,
    ReviewActivity,
    ReviewAssignment,
    ReviewFinding,
    ReviewNote,
    ReviewStatus,
)
from clearinghouse.review.parties import grant_is_active, model_parties, review_parties
from clearinghouse.review.secrets import credential_cipher, encrypt_credential

MODEL_CARD_MAX_BYTES = 5 * 1024 * 1024
GRANT_PREFIX = "chg_"
GRANT_PREFIX_LENGTH = 12
PARTNER_KINDS = frozenset({OrgKind.critical_infrastructure, OrgKind.agency})
REMINDER_DAYS = (7, 1)
VOLUNTARY_NOTICE = (
    "Review is voluntary: it never blocks, delays or approves a release, and the "
    "developer alone decides when to release."
)


# --- states for the audit log (never a credential, its hash or its ciphertext) ----------


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _version_state(version: ModelVersion) -> dict[str, object]:
    return {
        "model_id": version.model_id,
        "version": version.version,
        "planned_release_at": _iso(version.planned_release_at),
        "access_kind": version.access_kind.value,
        "api_base_url": version.api_base_url,
        "credential_set": version.api_credential_ciphertext is not None,
        "weights_location": version.weights_location,
        "model_card_sha256": version.model_card_sha256,
        "declared_training_compute_flop": version.declared_training_compute_flop,
        "modalities": version.modalities,
    }


def _review_state(review: Review) -> dict[str, object]:
    return {
        "model_version_id": review.model_version_id,
        "status": review.status.value,
        "submitted_at": _iso(review.submitted_at),
        "window_closes_at": _iso(review.window_closes_at),
        "closed_at": _iso(review.closed_at),
        "close_reason": review.close_reason.value if review.close_reason else None,
        "superseded_by_review_id": review.superseded_by_review_id,
    }


def _grant_state(grant: AccessGrant) -> dict[str, object]:
    return {
        "designation_id": grant.designation_id,
        "partner_org_id": grant.partner_org_id,
        "model_version_id": grant.model_version_id,
        "scope": grant.scope,
        "starts_at": _iso(grant.starts_at),
        "ends_at": _iso(grant.ends_at),
        "revoked_at": _iso(grant.revoked_at),
        "revoked_by": grant.revoked_by,
    }


def _audit(
    session: Session,
    actor: str,
    action: str,
    subject: tuple[str, int],
    *,
    before: object = None,
    after: object = None,
    **details: object,
) -> None:
    audit.append(
        session,
        actor=actor,
        action=action,
        subject_type=subject[0],
        subject_id=str(subject[1]),
        before=before,
        after=after,
        details=details,
    )


# --- loading and authorising -------------------------------------------------------------


def _authenticated(principal: Principal) -> None:
    if not principal.is_authenticated:
        raise Unauthenticated("model review needs a login")


def _review(session: Session, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise UnknownReview(f"no review {review_id}")
    return review


def _authorise(
    session: Session,
    principal: Principal,
    action: ReviewAction,
    review: Review,
    now: datetime,
) -> ReviewParties:
    """The review's parties, once `principal` may do `action`; outsiders get a 404."""
    _authenticated(principal)
    parties = review_parties(session, review, now=now)
    if review_view(principal, parties) is None:
        raise UnknownReview(f"no review {review.id}")
    require_review(principal, action, parties, now=now)
    return parties


def _model(session: Session, principal: Principal, model_id: int) -> FrontierModel:
    _authenticated(principal)
    model = session.get(FrontierModel, model_id)
    # A model is its developer's business until it is submitted: others get a 404.
    if model is None or review_view(principal, model_parties(model)) is None:
        raise UnknownModel(f"no model {model_id}")
    return model


def _version(session: Session, principal: Principal, model_version_id: int) -> ModelVersion:
    _authenticated(principal)
    version = session.get(ModelVersion, model_version_id)
    if version is None or review_view(principal, model_parties(version.model)) is None:
        raise UnknownModelVersion(f"no model version {model_version_id}")
    return version


def _require_open(review: Review) -> None:
    if review.status is not ReviewStatus.open:
        reason = review.close_reason.value if review.close_reason else review.status.value
        raise ReviewNotOpen(
            f"review {review.id} is {review.status.value} ({reason}); it keeps what it has"
        )


def _organisation(session: Session, slug: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.slug == slug))
    if org is None:
        raise ReviewError(f"no organisation {slug!r}")
    return org


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise ReviewError(f"no user {email!r}")
    return user


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise ReviewError(f"{what} needs a time zone (e.g. 2026-08-01T00:00:00Z)")
    return moment


# --- models and versions -----------------------------------------------------------------


def register_model(
    session: Session,
    principal: Principal,
    *,
    name: str,
    description: str = "",
    organisation_slug: str | None = None,
    now: datetime,
) -> FrontierModel:
    """A model of the principal's organisation (operators name the organisation)."""
    _authenticated(principal)
    if organisation_slug is not None:
        org_id = _organisation(session, organisation_slug).id
    elif principal.organisation_id is not None:
        org_id = principal.organisation_id
    else:
        raise ReviewError("name the developer organisation the model belongs to")
    require_review(principal, ReviewAction.model_register, ReviewParties(org_id), now=now)
    org = session.get(Organisation, org_id)
    if org is None or org.kind is not OrgKind.ai_developer:
        raise ReviewError("models belong to AI developer organisations")
    name = name.strip()
    if not name or len(name) > 200:
        raise ReviewError("a model needs a name of 1 to 200 characters")
    taken = session.scalar(
        select(FrontierModel.id).where(
            FrontierModel.organisation_id == org_id, FrontierModel.name == name
        )
    )
    if taken is not None:
        raise DuplicateModel(f"model {name!r} is already registered")
    model = FrontierModel(
        organisation_id=org_id, name=name, description=description, created_at=now
    )
    session.add(model)
    session.flush()
    _audit(
        session,
        principal.actor,
        "model.register",
        ("model", model.id),
        after={"organisation_id": org_id, "name": name},
    )
    return model


def _model_card(model_card: tuple[str, bytes]) -> tuple[str, bytes, str]:
    name, content = model_card
    if len(content) > MODEL_CARD_MAX_BYTES:
        raise ModelCardTooLarge(
            f"a model card may be at most {MODEL_CARD_MAX_BYTES // (1024 * 1024)} MiB"
        )
    name = name.strip()[:200] or "model-card"
    return name, content, hashlib.sha256(content).hexdigest()


def add_version(
    session: Session,
    principal: Principal,
    *,
    model_id: int,
    version: str,
    planned_release_at: datetime,
    access_kind: AccessKind,
    api_base_url: str | None = None,
    api_credential: str | None = None,
    weights_location: str | None = None,
    declared_training_compute_flop: float | None = None,
    modalities: Sequence[str] = ("text",),
    description: str = "",
    model_card: tuple[str, bytes] | None = None,
    encryption_key: str | None = None,
    now: datetime,
) -> ModelVersion:
    """A version of a model; its API credential is encrypted before it reaches a row.

    `encryption_key` is `Settings.encryption_key`; None reads the process settings.
    """
    model = _model(session, principal, model_id)
    require_review(principal, ReviewAction.model_register, model_parties(model), now=now)
    version = version.strip()
    if not version or len(version) > 100:
        raise InvalidModelVersion("a version needs a name of 1 to 100 characters")
    _aware(planned_release_at, "the planned release")
    if access_kind is AccessKind.api and not api_base_url:
        raise InvalidModelVersion("API access needs the API's base URL")
    if access_kind is AccessKind.weights and not weights_location:
        raise InvalidModelVersion("access to weights needs their location")
    if api_credential is not None and access_kind is not AccessKind.api:
        raise InvalidModelVersion("a credential goes with API access only")
    if declared_training_compute_flop is not None and declared_training_compute_flop < 0:
        raise InvalidModelVersion("training compute cannot be negative")
    cleaned = [m.strip().lower() for m in modalities if m.strip()]
    if not cleaned or any("," in m or len(m) > 40 for m in cleaned):
        raise InvalidModelVersion("name one or more modalities, e.g. text, image")
    taken = session.scalar(
        select(ModelVersion.id).where(
            ModelVersion.model_id == model.id, ModelVersion.version == version
        )
    )
    if taken is not None:
        raise DuplicateModelVersion(f"{model.name} {version} is already registered")
    row = ModelVersion(
        model_id=model.id,
        version=version,
        description=description,
        declared_training_compute_flop=declared_training_compute_flop,
        modalities=",".join(dict.fromkeys(cleaned)),
        planned_release_at=planned_release_at,
        access_kind=access_kind,
        api_base_url=api_base_url,
        weights_location=weights_location,
        created_at=now,
        updated_at=now,
    )
    if api_credential:
        row.api_credential_ciphertext = _encrypt(session, api_credential, encryption_key)
    if model_card is not None:
        row.model_card_name, row.model_card, row.model_card_sha256 = _model_card(model_card)
    session.add(row)
    session.flush()
    _audit(
        session,
        principal.actor,
        "model.version.add",
        ("model_version", row.id),
        after=_version_state(row),
    )
    return row


def _encrypt(session: Session, credential: str, encryption_key: str | None) -> bytes:
    if encryption_key is None:
        from clearinghouse.settings import get_settings

        encryption_key = get_settings().encryption_key
    database_url = str(session.get_bind().engine.url)
    return encrypt_credential(credential_cipher(encryption_key, database_url), credential)


def set_model_card(
    session: Session,
    principal: Principal,
    *,
    model_version_id: int,
    name: str,
    content: bytes,
    now: datetime,
) -> ModelVersion:
    version = _version(session, principal, model_version_id)
    require_review(principal, ReviewAction.model_register, model_parties(version.model), now=now)
    before = _version_state(version)
    version.model_card_name, version.model_card, version.model_card_sha256 = _model_card(
        (name, content)
    )
    version.updated_at = now
    _audit(
        session,
        principal.actor,
        "model.version.model_card",
        ("model_version", version.id),
        before=before,
        after=_version_state(version),
    )
    return version


def get_model(
    session: Session, principal: Principal, *, model_id: int, now: datetime
) -> FrontierModel:
    model = _model(session, principal, model_id)
    require_review(principal, ReviewAction.model_read, model_parties(model), now=now)
    return model


def get_version(
    session: Session, principal: Principal, *, model_version_id: int, now: datetime
) -> ModelVersion:
    version = _version(session, principal, model_version_id)
    require_review(principal, ReviewAction.model_read, model_parties(version.model), now=now)
    return version


def list_models(session: Session, principal: Principal, *, now: datetime) -> list[FrontierModel]:
    """The models of the principal's organisation; every model for operators."""
    _authenticated(principal)
    require_review(principal, ReviewAction.model_read, None, now=now)
    query = select(FrontierModel).order_by(FrontierModel.name, FrontierModel.id)
    if principal.role is not Role.operator:
        query = query.where(FrontierModel.organisation_id == principal.organisation_id)
    models = session.scalars(query).unique().all()
    return [m for m in models if review_view(principal, model_parties(m)) is not None]


def list_versions(session: Session, model: FrontierModel) -> list[ModelVersion]:
    return list(
        session.scalars(
            select(ModelVersion)
            .where(ModelVersion.model_id == model.id)
            .order_by(ModelVersion.created_at, ModelVersion.id)
        ).unique()
    )


def _open_review_of(session: Session, model_version_id: int) -> Review | None:
    return session.scalars(
        select(Review).where(
            Review.model_version_id == model_version_id, Review.status == ReviewStatus.open
        )
    ).first()


def move_release_date(
    session: Session,
    principal: Principal,
    *,
    model_version_id: int,
    planned_release_at: datetime,
    now: datetime,
) -> Review | None:
    """The developer's new release date; an open review's window follows it."""
    version = _version(session, principal, model_version_id)
    require_review(principal, ReviewAction.review_submit, model_parties(version.model), now=now)
    _aware(planned_release_at, "the planned release")
    before = _version_state(version)
    version.planned_release_at = planned_release_at
    version.updated_at = now
    _audit(
        session,
        principal.actor,
        "model.version.release_date",
        ("model_version", version.id),
        before=before,
        after=_version_state(version),
    )
    review = _open_review_of(session, version.id)
    if review is None:
        return None
    review_before = _review_state(review)
    review.window_closes_at = windows.window_closes_at(review.submitted_at, planned_release_at)
    _audit(
        session,
        principal.actor,
        "review.window.move",
        ("review", review.id),
        before=review_before,
        after=_review_state(review),
    )
    _close_if_due(session, review, now=now)
    return review


# --- submissions -------------------------------------------------------------------------


def _open_review(
    session: Session, principal: Principal, version: ModelVersion, now: datetime
) -> Review:
    windows.check_submission(now, version.planned_release_at)
    if _open_review_of(session, version.id) is not None:
        raise ReviewAlreadyOpen(f"{version.model.name} {version.version} is already under review")
    review = Review(
        model_version_id=version.id,
        submitted_at=now,
        submitted_by=principal.actor,
        window_closes_at=windows.window_closes_at(now, version.planned_release_at),
        status=ReviewStatus.open,
    )
    session.add(review)
    session.flush()
    _audit(
        session,
        principal.actor,
        "review.submit",
        ("review", review.id),
        after=_review_state(review),
    )
    notifications.review_submitted(session, review, now=now)
    return review


def submit_for_review(
    session: Session, principal: Principal, *, model_version_id: int, now: datetime
) -> Review:
    """Open a review of a version: voluntary, and the release date stays the developer's."""
    version = _version(session, principal, model_version_id)
    require_review(principal, ReviewAction.review_submit, model_parties(version.model), now=now)
    return _open_review(session, principal, version, now)


def withdraw(session: Session, principal: Principal, *, review_id: int, now: datetime) -> Review:
    review = _review(session, review_id)
    _close_if_due(session, review, now=now)
    _authorise(session, principal, ReviewAction.review_submit, review, now)
    _require_open(review)
    _close(session, review, reason=CloseReason.withdrawn, actor=principal.actor, now=now)
    return review


def resubmit(
    session: Session, principal: Principal, *, review_id: int, model_version_id: int, now: datetime
) -> Review:
    """A new version in place of the one under review: the old review is superseded."""
    old = _review(session, review_id)
    _close_if_due(session, old, now=now)
    _authorise(session, principal, ReviewAction.review_submit, old, now)
    _require_open(old)
    version = _version(session, principal, model_version_id)
    if version.model_id != old.model_version.model_id:
        raise InvalidModelVersion("a resubmission is a version of the same model")
    if version.id == old.model_version_id:
        raise InvalidModelVersion("a resubmission names a new version of the model")
    new = _open_review(session, principal, version, now)
    _close(
        session,
        old,
        reason=CloseReason.superseded,
        actor=principal.actor,
        now=now,
        superseded_by=new,
    )
    # The agencies the operator assigned stay on the new version's review.
    for assignment in session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.review_id == old.id)
    ).all():
        session.add(
            ReviewAssignment(
                review_id=new.id,
                organisation_id=assignment.organisation_id,
                user_id=assignment.user_id,
                assigned_at=now,
                assigned_by=assignment.assigned_by,
            )
        )
    session.flush()
    return new


# --- closing -----------------------------------------------------------------------------


def _close(
    session: Session,
    review: Review,
    *,
    reason: CloseReason,
    actor: str,
    now: datetime,
    superseded_by: Review | None = None,
) -> int:
    before = _review_state(review)
    review.status = (
        ReviewStatus.withdrawn if reason is CloseReason.withdrawn else ReviewStatus.closed
    )
    review.closed_at = now
    review.close_reason = reason
    if superseded_by is not None:
        review.superseded_by_review_id = superseded_by.id
    session.flush()
    _audit(
        session,
        actor,
        "review.close",
        ("review", review.id),
        before=before,
        after=_review_state(review),
        reason=reason.value,
    )
    parties = review_parties(session, review, now=now)
    return notifications.review_closed(
        session, review, party_org_ids=parties.agency_org_ids | parties.partner_org_ids, now=now
    )


def _close_if_due(session: Session, review: Review, *, now: datetime) -> int:
    if review.status is not ReviewStatus.open or not windows.is_due(review.window_closes_at, now):
        return 0
    reason = windows.close_reason(review.window_closes_at, review.model_version.planned_release_at)
    # Closed at the moment the window ended, not whenever someone next looked.
    return _close(
        session, review, reason=reason, actor=audit.SYSTEM_ACTOR, now=review.window_closes_at
    )


def _close_due(session: Session, now: datetime) -> tuple[list[Review], int]:
    due = (
        session.scalars(
            select(Review)
            .where(Review.status == ReviewStatus.open, Review.window_closes_at <= now)
            .order_by(Review.window_closes_at, Review.id)
        )
        .unique()
        .all()
    )
    queued = sum(_close_if_due(session, review, now=now) for review in due)
    return list(due), queued


def close_due_reviews(session: Session, *, now: datetime) -> list[Review]:
    """Close every open review whose window has ended; the release is not touched."""
    return _close_due(session, now)[0]


def tick(session: Session, *, now: datetime) -> int:
    """Close due reviews and queue the 7-day and 1-day reminders; notifications queued."""
    _, queued = _close_due(session, now)
    horizon = now + timedelta(days=max(REMINDER_DAYS))
    for review in session.scalars(
        select(Review).where(
            Review.status == ReviewStatus.open,
            Review.window_closes_at > now,
            Review.window_closes_at <= horizon,
        )
    ).unique():
        days = _reminder_due(review, now)
        if days is not None:
            agencies = review_parties(session, review, now=now).agency_org_ids
            queued += notifications.window_reminder(
                session, review, agency_org_ids=agencies, days=days, now=now
            )
    return queued


def _reminder_due(review: Review, now: datetime) -> int | None:
    """The reminder whose time has come (the nearest), if the window was that long."""
    left = review.window_closes_at - now
    for days in sorted(REMINDER_DAYS):
        mark = timedelta(days=days)
        if left <= mark and review.window_closes_at - review.submitted_at > mark:
            return days
    return None


# --- reading -----------------------------------------------------------------------------


def get_review(session: Session, principal: Principal, *, review_id: int, now: datetime) -> Review:
    """The review, closed first if its window has passed; 404 for non-parties."""
    review = _review(session, review_id)
    _close_if_due(session, review, now=now)
    _authorise(session, principal, ReviewAction.review_read, review, now)
    return review


def list_reviews(session: Session, principal: Principal, *, now: datetime) -> list[Review]:
    """The reviews `principal` takes part in (all, for operators), newest first."""
    _authenticated(principal)
    require_review(principal, ReviewAction.review_read, None, now=now)
    _close_due(session, now)
    query = select(Review).order_by(Review.submitted_at.desc(), Review.id.desc())
    if principal.role is not Role.operator:
        org = principal.organisation_id
        query = query.join(ModelVersion, Review.model_version_id == ModelVersion.id).join(
            FrontierModel, ModelVersion.model_id == FrontierModel.id
        )
        query = query.where(
            or_(
                FrontierModel.organisation_id == org,
                exists().where(
                    ReviewAssignment.review_id == Review.id,
                    ReviewAssignment.organisation_id == org,
                ),
                exists().where(
                    PartnerDesignation.review_id == Review.id,
                    PartnerDesignation.partner_org_id == org,
                    PartnerDesignation.status == DesignationStatus.accepted,
                ),
            )
        )
    reviews = session.scalars(query).unique().all()
    # The SQL narrows; the policy decides.
    return [
        r
        for r in reviews
        if review_view(principal, review_parties(session, r, now=now)) is not None
    ]


@dataclass(frozen=True)
class ReviewContents:
    """One review as one viewer may see it: everything else is already left out."""

    review: Review
    view: ReviewView
    assignments: list[ReviewAssignment]
    activities: list[ReviewActivity]
    notes: list[ReviewNote] | None  # reviewers only
    designations: list[PartnerDesignation]
    grants: list[AccessGrant]
    findings: list[ReviewFinding]
    reports: dict[int, Report]  # the reports the findings became, by id
    active_grant_ids: frozenset[int]


def review_contents(
    session: Session, principal: Principal, *, review_id: int, now: datetime
) -> ReviewContents:
    review = get_review(session, principal, review_id=review_id, now=now)
    parties = review_parties(session, review, now=now)
    view = review_view(principal, parties)
    assert view is not None  # get_review has refused everyone else
    rid = review.id

    def rows(model: Any, *order: Any) -> list[Any]:
        return list(session.scalars(select(model).where(model.review_id == rid).order_by(*order)))

    designations: list[PartnerDesignation] = rows(PartnerDesignation, PartnerDesignation.id)
    grants: list[AccessGrant] = rows(AccessGrant, AccessGrant.id)
    findings: list[ReviewFinding] = rows(ReviewFinding, ReviewFinding.id)
    assignments: list[ReviewAssignment] = rows(ReviewAssignment, ReviewAssignment.id)
    activities: list[ReviewActivity] = rows(
        ReviewActivity, ReviewActivity.due_at, ReviewActivity.id
    )
    notes: list[ReviewNote] | None = None
    if view == "reviewer":
        notes = rows(ReviewNote, ReviewNote.created_at, ReviewNote.id)
    elif view == "developer":
        findings = [f for f in findings if not f.restricted]
    else:  # a partner sees its own designation, grants and findings only
        own = principal.organisation_id
        designations = [d for d in designations if d.partner_org_id == own]
        grants = [g for g in grants if g.partner_org_id == own]
        findings = [f for f in findings if f.organisation_id == own and not f.restricted]
        assignments, activities = [], []
    report_ids = [f.report_id for f in findings if f.report_id is not None]
    reports = (
        {r.id: r for r in session.scalars(select(Report).where(Report.id.in_(report_ids)))}
        if report_ids
        else {}
    )
    return ReviewContents(
        review=review,
        view=view,
        assignments=assignments,
        activities=activities,
        notes=notes,
        designations=designations,
        grants=grants,
        findings=findings,
        reports=reports,
        active_grant_ids=frozenset(g.id for g in grants if grant_is_active(g, review, now)),
    )


# --- reviewers and the checklist ---------------------------------------------------------


def assign(
    session: Session,
    principal: Principal,
    *,
    review_id: int,
    organisation_slug: str,
    reviewer_email: str | None = None,
    now: datetime,
) -> ReviewAssignment:
    review = _review(session, review_id)
    _close_if_due(session, review, now=now)
    _authorise(session, principal, ReviewAction.review_assign, review, now)
    _require_open(review)
    org = _organisation(session, organisation_slug)
    if org.kind is not OrgKind.agency:
        raise ReviewError(f"{org.slug} is not a reviewing agency")
    user_id = None
    if reviewer_email is not None:
        user = _user(session, reviewer_email)
        if user.organisation_id != org.id or user.role is not Role.reviewer:
            raise ReviewError(f"{user.email} is not a reviewer of {org.slug}")
        user_id = user.id
    existing = session.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.review_id == review.id,
            ReviewAssignment.organisation_id == org.id,
            ReviewAssignment.user_id.is_(None)
            if user_id is None
            else ReviewAssignment.user_id == user_id,
        )
    ).first()
    if existing is not None:
        return existing
    assignment = ReviewAssignment(
        review_id=review.id,
        organisation_id=org.id,
        user_id=user_id,
        assigned_at=now,
        assigned_by=principal.actor,
    )
    session.add(assignment)
    session.flush()
    _audit(
        session,
        principal.actor,
        "review.assign",
        ("review", review.id),
        after={"organisation_id": org.id, "user_id": user_id},
    )
    return assignment


def _inside_window(review: Review, moment: datetime, what: str) -> None:
    _aware(moment, what)
    if not review.submitted_at <= moment <= review.window_closes_at:
        raise OutsideReviewWindow(
            f"{what} must fall inside the review window, "
            f"{review.submitted_at.isoformat()} to {review.window_closes_at.isoformat()}"
        )


def add_activity(
    session: Session,
    principal: Principal,
    *,
    review_id: int,
    kind: ActivityKind,
    title: str,
    due_at: datetime,
    owner_email: str | None = None,
    now: datetime,
) -> ReviewActivity:
    review = _review(session, review_id)
    _close_if_due(session, review, now=now)
    parties = _authorise(session, principal, ReviewAction.activity_manage, review, now)
    _require_open(review)
    _inside_window(review, due_at, "an activity's due date")
    title = title.strip()
    if not title or len(title) > 300:
        raise ReviewError("an activity needs a title of 1 to 300 characters")
    owner_id = None
    if owner_email is not None:
        owner = _user(session, owner_email)
        from clearinghouse.identity.principal import principal_for

        if review_view(principal_for(owner), parties) is None:
            raise ReviewError(f"{owner.email} takes no part in this review")
        owner_id = owner.id
    activity = ReviewActivity(
        review_id=review.id,
        kind=kind,
        title=title,
        owner_user_id=owner_id,
        due_at=due_at,
        status=ActivityStatus.planned,
        result_summary="",
    )
    session.add(activity)
    session.flush()
    _audit(
        session,
        principal.actor,
        "review.activity.add",
        ("review_activity", activity.id),
        after={
            "review_id": review.id,
            "kind": kind.value,
            "title": title,
            "due_at": _iso(due_at),
            "owner_user_id": owner_id,
        },
    )
    return activity


def update_activity(
    session: Session,
    principal: Principal,
    *,
    activity_id: int,
    status: ActivityStatus,
    result_summary: str = "",
    now: datetime,
) -> ReviewActivity:
    activity = session.get(ReviewActivity, activity_id)
    if activity is None:
        raise UnknownActivity(f"no activity {activity_id}")
    review = _review(session, activity.review_id)
    _close_if_due(session, review, now=now)
    try:
        _authorise(session, principal, ReviewAction.activity_manage, review, now)
    except UnknownReview:
        raise UnknownActivity(f"no activity {activity_id}") from None
    _require_open(review)
    before = {"status": activity.status.value, "completed_at": _iso(activity.completed_at)}
    activity.status = status
    activity.result_summary = result_summary
    done = status in (ActivityStatus.done, ActivityStatus.skipped)
    activity.completed_at = now if done else None
    _audit(
        session,
        principal.actor,
        "review.activity.update",
        ("review_activity", activity.id),
        before=before,
        after={"status": status.value, "completed_at": _iso(activity.completed_at)},
    )
    return activity


def add_note(
    session: Session, principal: Principal, *, review_id: int, body: str, now: datetime
) -> ReviewNote:
    """A restricted note: reviewers keep them, during and after the window."""
    review = get_review(session, principal, review_id=review_id, now=now)
    _authorise(session, principal, ReviewAction.note_write, review, now)
    if not body.strip():
        raise ReviewError("a note needs some text")
    note = ReviewNote(
        review_id=review.id,
        author=principal.actor,
        author_user_id=principal.user_id,
        body=body,
        created_at=now,
    )
    session.add(note)
    session.flush()
    # The note is restricted: the audit keeps its digest only, not its text.
    _audit(
        session,
        principal.actor,
        "review.note.add",
        ("review_note", note.id),
        after={"review_id": review.id, "body": body},
    )
    return note


# --- trusted partners --------------------------------------------------------------------


def _designation_state(d: PartnerDesignation) -> dict[str, object]:
    return {"review_id": d.review_id, "partner_org_id": d.partner_org_id, "status": d.status.value}


def propose_partner(
    session: Session, principal: Principal, *, review_id: int, partner_slug: str, now: datetime
) -> PartnerDesignation:
    """A partner proposed by the developer (consented at once) or by an assigned agency."""
    review = _review(session, review_id)
    _close_if_due(session, review, now=now)
    parties = _authorise(session, principal, ReviewAction.partner_propose, review, now)
    _require_open(review)
    org = _organisation(session, partner_slug)
    if org.kind not in PARTNER_KINDS:
        raise ReviewError(f"{org.slug} is not an organisation that can be a trusted partner")
    taken = session.scalar(
        select(PartnerDesignation.id).where(
            PartnerDesignation.review_id == review.id, PartnerDesignation.partner_org_id == org.id
        )
    )
    if taken is not None:
        raise DuplicateDesignation(f"{org.slug} is already designated for this review")
    by_developer = principal.organisation_id == parties.developer_org_id
    designation = PartnerDesignation(
        review_id=review.id,
        partner_org_id=org.id,
        proposed_by_org_id=principal.organisation_id,
        proposed_by=principal.actor,
        status=DesignationStatus.consented if by_developer else DesignationStatus.proposed,
        developer_consented_at=now if by_developer else None,
        created_at=now,
    )
    session.add(designation)
    session.flush()
    _audit(
        session,
        principal.actor,
        "review.partner.propose",
        ("partner_designation", designation.id),
        after=_designation_state(designation),
    )
    if by_developer:
        notifications.partner_decision(
            session,
            review,
            designation_id=designation.id,
            partner_org_id=org.id,
            decision="consented",
            now=now,
        )
    return designation


def _designation(
    session: Session, principal: Principal, designation_id: int, now: datetime
) -> tuple[PartnerDesignation, Review]:
    designation = session.get(PartnerDesignation, designation_id)
    if designation is None:
        raise UnknownDesignation(f"no partner designation {designation_id}")
    review = _review(session, designation.review_id)
    _close_if_due(session, review, now=now)
    return designation, review


def _decide_designation(
    session: Session,
    principal: Principal,
    designation: PartnerDesignation,
    review: Review,
    *,
    action: ReviewAction,
    allowed_from: tuple[DesignationStatus, ...],
    to: DesignationStatus,
    now: datetime,
) -> PartnerDesignation:
    _authenticated(principal)
    parties = review_parties(session, review, now=now)
    own = principal.organisation_id == designation.partner_org_id
    if review_view(principal, parties) is None and not own:
        raise UnknownDesignation(f"no partner designation {designation.id}")
    if action is ReviewAction.partner_accept:
        # The designated partner decides before it is a party to the review.
        parties = replace(parties, partner_org_ids=frozenset({designation.partner_org_id}))
    require_review(principal, action, parties, now=now)
    _require_open(review)
    if designation.status not in allowed_from:
        raise DesignationNotReady(
            f"designation {designation.id} is {designation.status.value}; "
            f"it must be {' or '.join(s.value for s in allowed_from)}"
        )
    before = _designation_state(designation)
    designation.status = to
    if to is DesignationStatus.consented:
        designation.developer_consented_at = now
    elif to is DesignationStatus.accepted:
        designation.partner_accepted_at = now
        designation.decided_at = now
    else:
        designation.decided_at = now
    session.flush()
    _audit(
        session,
        principal.actor,
        f"review.partner.{to.value}",
        ("partner_designation", designation.id),
        before=before,
        after=_designation_state(designation),
    )
    notifications.partner_decision(
        session,
        review,
        designation_id=designation.id,
        partner_org_id=designation.partner_org_id,
        decision=to.value,
        now=now,
    )
    return designation


def consent_partner(
    session: Session, principal: Principal, *, designation_id: int, now: datetime
) -> PartnerDesignation:
    designation, review = _designation(session, principal, designation_id, now)
    return _decide_designation(
        session,
        principal,
        designation,
        review,
        action=ReviewAction.partner_consent,
        allowed_from=(DesignationStatus.proposed,),
        to=DesignationStatus.consented,
        now=now,
    )


def accept_designation(
    session: Session, principal: Principal, *, designation_id: int, now: datetime
) -> PartnerDesignation:
    designation, review = _designation(session, principal, designation_id, now)
    return _decide_designation(
        session,
        principal,
        designation,
        review,
        action=ReviewAction.partner_accept,
        allowed_from=(DesignationStatus.consented,),
        to=DesignationStatus.accepted,
        now=now,
    )


def decline_designation(
    session: Session, principal: Principal, *, designation_id: int, now: datetime
) -> PartnerDesignation:
    designation, review = _designation(session, principal, designation_id, now)
    return _decide_designation(
        session,
        principal,
        designation,
        review,
        action=ReviewAction.partner_accept,
        allowed_from=(DesignationStatus.proposed, DesignationStatus.consented),
        to=DesignationStatus.declined,
        now=now,
    )


def _credential_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_grant(
    session: Session,
    principal: Principal,
    *,
    designation_id: int,
    scope: str,
    ends_at: datetime,
    instructions: str = "",
    now: datetime,
) -> tuple[AccessGrant, str]:
    """Early access for an accepted partner, and its credential, shown once."""
    designation, review = _designation(session, principal, designation_id, now)
    try:
        _authorise(session, principal, ReviewAction.grant_issue, review, now)
    except UnknownReview:
        raise UnknownDesignation(f"no partner designation {designation_id}") from None
    _require_open(review)
    if designation.status is not DesignationStatus.accepted:
        raise DesignationNotReady("access goes to a partner that has accepted its designation")
    _aware(ends_at, "the end of access")
    if not now < ends_at <= review.window_closes_at:
        raise OutsideReviewWindow(
            "access ends after now and no later than the window's close, "
            f"{review.window_closes_at.isoformat()}"
        )
    if not scope.strip():
        raise ReviewError("a grant needs a scope")
    secret = GRANT_PREFIX + secrets.token_urlsafe(32)
    grant = AccessGrant(
        designation_id=designation.id,
        review_id=review.id,
        model_version_id=review.model_version_id,
        partner_org_id=designation.partner_org_id,
        scope=scope.strip(),
        starts_at=now,
        ends_at=ends_at,
        instructions=instructions,
        credential_prefix=secret[:GRANT_PREFIX_LENGTH],
        credential_hash=_credential_hash(secret),
        created_at=now,
        created_by=principal.actor,
    )
    session.add(grant)
    session.flush()
    _audit(
        session,
        principal.actor,
        "review.grant.issue",
        ("access_grant", grant.id),
        after=_grant_state(grant),
        prefix=grant.credential_prefix,
    )
    return grant, secret


def revoke_grant(
    session: Session, principal: Principal, *, grant_id: int, now: datetime
) -> AccessGrant:
    """End a partner's access at once (the developer's or an operator's call)."""
    grant = session.get(AccessGrant, grant_id)
    if grant is None:
        raise UnknownGrant(f"no access grant {grant_id}")
    review = _review(session, grant.review_id)
    try:
        _authorise(session, principal, ReviewAction.grant_revoke, review, now)
    except UnknownReview:
        raise UnknownGrant(f"no access grant {grant_id}") from None
    if grant.revoked_at is not None:
        return grant
    before = _grant_state(grant)
    grant.revoked_at = now
    grant.revoked_by = principal.actor
    _audit(
        session,
        principal.actor,
        "review.grant.revoke",
        ("access_grant", grant.id),
        before=before,
        after=_grant_state(grant),
    )
    return grant


def use_grant(session: Session, *, secret: str, now: datetime) -> AccessGrant | None:
    """The active grant a partner's credential opens, its use audited; None otherwise."""
    grant = session.scalar(
        select(AccessGrant).where(AccessGrant.credential_hash == _credential_hash(secret))
    )
    if grant is None:
        return None
    review = _review(session, grant.review_id)
    _close_if_due(session, review, now=now)
    active = grant_is_active(grant, review, now)
    _audit(
        session,
        f"grant:{grant.credential_prefix}",
        "review.grant.use",
        ("access_grant", grant.id),
        active=active,
    )
    if not active:
        return None
    grant.last_used_at = now
    return grant


# --- findings ----------------------------------------------------------------------------


def record_finding(
    session: Session,
    principal: Principal,
    *,
    review_id: int,
    kind: FindingKind,
    title: str,
    description: str,
    severity: str | None = None,
    restricted: bool = False,
    package_ecosystem: str | None = None,
    package_name: str | None = None,
    affected_versions: str | None = None,
    cwe: str | None = None,
    cvss_vector: str | None = None,
    now: datetime,
) -> ReviewFinding:
    """A finding; a software vulnerability also becomes a clearinghouse report."""
    review = _review(session, review_id)
    _close_if_due(session, review, now=now)
    parties = _authorise(session, principal, ReviewAction.finding_record, review, now)
    _require_open(review)
    if restricted and review_view(principal, parties) != "reviewer":
        raise ReviewError("only reviewers keep restricted findings")
    title = title.strip()
    if not title or len(title) > 300:
        raise ReviewError("a finding needs a title of 1 to 300 characters")
    if severity is not None and len(severity) > 16:
        raise ReviewError("a severity is a short word, e.g. high")
    report_id = None
    if kind is FindingKind.vulnerability:
        report = create_report(
            session,
            title=title,
            description=description,
            submitted_by=principal.actor,
            submitted_by_user_id=principal.user_id,
            reporter_org_id=principal.organisation_id,
            discovered_by=DiscoveredBy.model,
            discovered_by_model_version_id=review.model_version_id,
            discovered_during_review_id=review.id,
            package_ecosystem=package_ecosystem,
            package_name=package_name,
            affected_versions=affected_versions,
            cwe=cwe,
            cvss_vector=cvss_vector,
            tlp="RED" if restricted else "AMBER",
            now=now,
        )
        report_id = report.id
    finding = ReviewFinding(
        review_id=review.id,
        organisation_id=principal.organisation_id,
        author=principal.actor,
        author_user_id=principal.user_id,
        kind=kind,
        title=title,
        description=description,
        severity=severity,
        restricted=restricted,
        report_id=report_id,
        created_at=now,
    )
    session.add(finding)
    session.flush()
    _audit(
        session,
        principal.actor,
        "review.finding.record",
        ("review_finding", finding.id),
        after={
            "review_id": review.id,
            "kind": kind.value,
            "title": title,
            "restricted": restricted,
            "report_id": report_id,
        },
        kind=kind.value,
        report_id=report_id,
    )
    return finding
