"""What can go wrong while taking data in; each error names the input it came from."""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError


class IntakeError(ClearinghouseError):
    status_code = 422
    title = "Input refused"


class InputNotFound(IntakeError):
    status_code = 404
    title = "Input not found"


class UnsafeArchive(IntakeError):
    """A zip member that would escape, explode, or lie about its size."""


class InputTooLarge(IntakeError):
    status_code = 413
    title = "Input too large"
