"""Errors of the reports area: bad submissions (naming the place at fault), unknown reports,
triage moves the workflow does not allow."""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError, Conflict, NotFound


class ReportError(ClearinghouseError):
    """A report request the caller can correct."""

    status_code = 422
    title = "Invalid report"


class InvalidReport(ReportError):
    """A submitted report is malformed; `path` names the field at fault (`$.affected[0]`)."""

    def __init__(self, reason: str, *, path: str = "$", source: str = "") -> None:
        self.reason = reason
        self.path = path
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        return ": ".join(part for part in (self.source, self.path, self.reason) if part)


class InvalidCvssVector(ReportError):
    """A CVSS vector the `cvss` library refuses, with its words for what is wrong."""

    title = "Invalid CVSS vector"


class ReportTooLarge(ReportError):
    status_code = 413
    title = "Report too large"


class AttachmentTooLarge(ReportError):
    status_code = 413
    title = "Attachment too large"


class UnknownReport(ReportError, NotFound):
    """No such report, or one the asker may not see: the two must read the same."""

    status_code = 404
    title = "Not found"


class UnknownAttachment(ReportError, NotFound):
    status_code = 404
    title = "Not found"


class InvalidTransition(ReportError, Conflict):
    """The triage workflow does not go from the report's state to the one asked for."""

    status_code = 409
    title = "Invalid triage transition"
