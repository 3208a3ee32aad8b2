"""Errors of coordinated disclosure: unknown things, refused requests, a case in the wrong state.

`UnknownCase` reads the same whether the case does not exist or the asker takes no part
in it, so that a 404 never confirms that a case exists.
"""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError, Conflict, NotFound


class DisclosureError(ClearinghouseError):
    """A disclosure request the caller can correct."""

    status_code = 422
    title = "Invalid disclosure request"


class InvalidCaseField(DisclosureError):
    """A field of a case, statement or message that cannot be taken; names the field."""

    title = "Invalid case field"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.path = f"$.{field}"


class UnknownCase(DisclosureError, NotFound):
    status_code = 404
    title = "Not found"


class UnknownReport(DisclosureError, NotFound):
    status_code = 404
    title = "Unknown report"


class UnknownVendor(DisclosureError, NotFound):
    status_code = 404
    title = "Unknown vendor"


class UnknownMessage(DisclosureError, NotFound):
    status_code = 404
    title = "Unknown message"


class ReportNotValidated(DisclosureError, Conflict):
    """Only a validated report opens a case: triage decides first."""

    status_code = 409
    title = "Report not validated"


class ReportAlreadyInCase(DisclosureError, Conflict):
    status_code = 409
    title = "Report already in a case"


class VendorAlreadyInvited(DisclosureError, Conflict):
    status_code = 409
    title = "Vendor already invited"


class CaseStateConflict(DisclosureError, Conflict):
    """The case's state does not allow that (a closed case takes nothing more)."""

    status_code = 409
    title = "Case is not in a state that allows this"


class EmbargoInForce(DisclosureError, Conflict):
    """Publishing waits for the embargo; moving the embargo date is the coordinator's call."""

    status_code = 409
    title = "Embargo in force"


class AdvisoryFrozen(DisclosureError, Conflict):
    """The case has produced its advisory: what was produced is not rewritten."""

    status_code = 409
    title = "Advisory already produced"
