"""Errors of model review: unknown things, requests that do not fit the review, bad keys.

None of them is about a release: a release never waits for a review, so no error here
can say that one must.
"""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError, Conflict, NotFound


class ReviewError(ClearinghouseError):
    """A review request the caller can correct."""

    status_code = 422
    title = "Invalid review request"


class UnknownModel(ReviewError, NotFound):
    status_code = 404
    title = "Unknown model"


class UnknownModelVersion(ReviewError, NotFound):
    status_code = 404
    title = "Unknown model version"


class UnknownReview(ReviewError, NotFound):
    """No such review, or none the asker takes part in: the two must read the same."""

    status_code = 404
    title = "Not found"


class UnknownActivity(ReviewError, NotFound):
    status_code = 404
    title = "Unknown review activity"


class UnknownDesignation(ReviewError, NotFound):
    status_code = 404
    title = "Unknown partner designation"


class UnknownGrant(ReviewError, NotFound):
    status_code = 404
    title = "Unknown access grant"


class DuplicateModel(ReviewError, Conflict):
    status_code = 409
    title = "Model already registered"


class DuplicateModelVersion(ReviewError, Conflict):
    status_code = 409
    title = "Model version already registered"


class ReviewAlreadyOpen(ReviewError, Conflict):
    status_code = 409
    title = "Model version already under review"


class ReviewNotOpen(ReviewError, Conflict):
    """The review has closed (or was withdrawn): it keeps what it has and takes no more."""

    status_code = 409
    title = "Review is not open"


class ReleaseAlreadyPast(ReviewError):
    """Submitted after the planned release: there is nothing before the release to review."""

    title = "Planned release already past"


class OutsideReviewWindow(ReviewError):
    title = "Outside the review window"


class DesignationNotReady(ReviewError, Conflict):
    status_code = 409
    title = "Partner designation not in that state"


class DuplicateDesignation(ReviewError, Conflict):
    status_code = 409
    title = "Partner already designated"


class ModelCardTooLarge(ReviewError):
    status_code = 413
    title = "Model card too large"


class InvalidModelVersion(ReviewError):
    title = "Invalid model version"


class EncryptionKeyMissing(ClearinghouseError):
    """No key to encrypt model credentials with, and none may be made up here."""

    status_code = 500
    title = "Encryption key not configured"


class InvalidEncryptionKey(ClearinghouseError):
    status_code = 500
    title = "Invalid encryption key"
