"""The review's notifications, queued in the `notifications` outbox; delivery comes later.

Every notification has a dedupe key naming the event and the recipient, so that a
clock that ticks twice, or two workers ticking at once, queue it once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clearinghouse.review.models import Notification, Review

OPERATORS = None  # organisation_id None: the operators of the instance


def _recipient(org_id: int | None) -> str:
    return "operators" if org_id is None else f"org:{org_id}"


def queue(
    session: Session,
    *,
    recipients: Iterable[int | None],
    kind: str,
    subject_type: str,
    subject_id: str,
    body: str,
    event_key: str,
    now: datetime,
) -> int:
    """One notification per recipient unless already queued; returns how many are new."""
    queued = 0
    for org_id in dict.fromkeys(recipients):  # in order, once each
        dedupe_key = f"{event_key}:{_recipient(org_id)}"[:200]
        exists = session.scalar(
            select(Notification.id).where(Notification.dedupe_key == dedupe_key)
        )
        if exists is not None:
            continue
        try:
            with session.begin_nested():
                session.add(
                    Notification(
                        organisation_id=org_id,
                        kind=kind,
                        subject_type=subject_type,
                        subject_id=subject_id,
                        body=body,
                        dedupe_key=dedupe_key,
                        created_at=now,
                    )
                )
        except IntegrityError:
            continue  # another worker queued it first
        queued += 1
    return queued


def _what(review: Review) -> str:
    version = review.model_version
    return f"{version.model.name} {version.version} (review {review.id})"


def review_submitted(session: Session, review: Review, *, now: datetime) -> int:
    return queue(
        session,
        recipients=[review.model_version.model.organisation_id, OPERATORS],
        kind="review.submitted",
        subject_type="review",
        subject_id=str(review.id),
        body=(
            f"{_what(review)} was submitted for voluntary review; the window closes "
            f"{review.window_closes_at.isoformat()}."
        ),
        event_key=f"review:{review.id}:submitted",
        now=now,
    )


def partner_decision(
    session: Session,
    review: Review,
    *,
    designation_id: int,
    partner_org_id: int,
    decision: str,
    now: datetime,
) -> int:
    return queue(
        session,
        recipients=[review.model_version.model.organisation_id, partner_org_id],
        kind=f"partner.{decision}",
        subject_type="partner_designation",
        subject_id=str(designation_id),
        body=f"Partner designation {designation_id} for {_what(review)}: {decision}.",
        event_key=f"designation:{designation_id}:{decision}",
        now=now,
    )


def window_reminder(
    session: Session,
    review: Review,
    *,
    agency_org_ids: Iterable[int],
    days: int,
    now: datetime,
) -> int:
    closes = review.window_closes_at.isoformat()
    return queue(
        session,
        recipients=[review.model_version.model.organisation_id, *sorted(agency_org_ids)],
        kind=f"review.closes_in_{days}d",
        subject_type="review",
        subject_id=str(review.id),
        body=f"The review window of {_what(review)} closes in {days} day(s), at {closes}.",
        # The close date is part of the event: a moved release date earns a new reminder.
        event_key=f"review:{review.id}:reminder-{days}d:{closes}",
        now=now,
    )


def review_closed(
    session: Session,
    review: Review,
    *,
    party_org_ids: Iterable[int],
    now: datetime,
) -> int:
    reason = review.close_reason.value if review.close_reason else review.status.value
    return queue(
        session,
        recipients=[review.model_version.model.organisation_id, *sorted(party_org_ids), OPERATORS],
        kind="review.closed",
        subject_type="review",
        subject_id=str(review.id),
        body=f"The review of {_what(review)} closed ({reason}) with what it has.",
        event_key=f"review:{review.id}:closed",
        now=now,
    )
