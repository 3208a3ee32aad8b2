"""Errors of advisories: unknown advisories, invalid fields, refused publications.

`UnknownAdvisory` reads the same whether the advisory does not exist or the asker may not
read it, so that a 404 never confirms that an unpublished or labelled advisory exists.
"""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError, Conflict, NotFound


class AdvisoryError(ClearinghouseError):
    """An advisory request the caller can correct."""

    status_code = 422
    title = "Invalid advisory request"


class InvalidAdvisoryField(AdvisoryError):
    """A field of a draft that cannot be taken; names the field."""

    title = "Invalid advisory field"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.path = f"$.{field}"


class UnknownAdvisory(AdvisoryError, NotFound):
    status_code = 404
    title = "Not found"


class UnknownSource(AdvisoryError, NotFound):
    """The vulnerability or case an advisory would be drafted from is unknown (to the asker)."""

    status_code = 404
    title = "Unknown source"


class SourceNotReady(AdvisoryError, Conflict):
    """A case drafts an advisory once it is published or closed."""

    status_code = 409
    title = "Source not ready"


class StatusConflict(AdvisoryError, Conflict):
    """The advisory's status does not allow that (final does not go back to interim)."""

    status_code = 409
    title = "Advisory status does not allow this"


class PublicationConflict(AdvisoryError, Conflict):
    """Another publication of the same version happened at the same time."""

    status_code = 409
    title = "Concurrent publication"


class InvalidCsafDocument(AdvisoryError):
    """The document built for publication failed CSAF validation; nothing was stored."""

    status_code = 422
    title = "Invalid CSAF document"

    def __init__(self, message: str, failures: list[dict[str, str]]) -> None:
        super().__init__(message)
        self.failures = failures

    def problem_members(self) -> dict[str, object]:
        return {"failures": self.failures}
