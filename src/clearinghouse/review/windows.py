"""The review window: from submission until the planned release or 30 days, whichever is first.

Pure functions of dates. Only one thing about timing is ever refused: a submission whose
planned release has already passed, because there is nothing before the release to review.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from clearinghouse.review.errors import ReleaseAlreadyPast
from clearinghouse.review.models import CloseReason

WINDOW_LENGTH = timedelta(days=30)


def window_closes_at(submitted_at: datetime, planned_release_at: datetime) -> datetime:
    """When a review submitted at `submitted_at` closes."""
    return min(submitted_at + WINDOW_LENGTH, planned_release_at)


def check_submission(submitted_at: datetime, planned_release_at: datetime) -> None:
    """Refuse only a submission that comes after the planned release."""
    if planned_release_at <= submitted_at:
        raise ReleaseAlreadyPast(
            f"the planned release ({planned_release_at.isoformat()}) is not after now "
            f"({submitted_at.isoformat()}): there is nothing before the release to review. "
            "Register a version with its next planned release to submit it."
        )


def close_reason(closes_at: datetime, planned_release_at: datetime) -> CloseReason:
    """Why a window that ends at `closes_at` ends: the release date, or the 30 days."""
    if closes_at >= planned_release_at:
        return CloseReason.release_date_reached
    return CloseReason.window_elapsed


def is_due(closes_at: datetime, now: datetime) -> bool:
    return closes_at <= now
