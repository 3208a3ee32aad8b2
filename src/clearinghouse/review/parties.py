"""Who takes part in a review, read from the database for `identity.policy` to decide on."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.identity.policy import ReviewParties
from clearinghouse.review.models import (
    AccessGrant,
    DesignationStatus,
    FrontierModel,
    PartnerDesignation,
    Review,
    ReviewAssignment,
    ReviewStatus,
)


def grant_is_active(grant: AccessGrant, review: Review, now: datetime) -> bool:
    """Access lasts from its start to its end, while the review is open and until revoked."""
    return (
        review.status is ReviewStatus.open
        and grant.revoked_at is None
        and grant.starts_at <= now < grant.ends_at
    )


def model_parties(model: FrontierModel) -> ReviewParties:
    """The parties to a model outside any review: its developer organisation only."""
    return ReviewParties(developer_org_id=model.organisation_id)


def review_parties(session: Session, review: Review, *, now: datetime) -> ReviewParties:
    assignments = session.scalars(
        select(ReviewAssignment).where(ReviewAssignment.review_id == review.id)
    ).all()
    accepted = session.scalars(
        select(PartnerDesignation.partner_org_id).where(
            PartnerDesignation.review_id == review.id,
            PartnerDesignation.status == DesignationStatus.accepted,
        )
    ).all()
    grants = session.scalars(select(AccessGrant).where(AccessGrant.review_id == review.id)).all()
    accepted_orgs = frozenset(accepted)
    return ReviewParties(
        developer_org_id=review.model_version.model.organisation_id,
        agency_org_ids=frozenset(a.organisation_id for a in assignments),
        reviewer_user_ids=frozenset(a.user_id for a in assignments if a.user_id is not None),
        partner_org_ids=accepted_orgs,
        granted_partner_org_ids=frozenset(
            g.partner_org_id
            for g in grants
            if g.partner_org_id in accepted_orgs and grant_is_active(g, review, now)
        ),
    )
