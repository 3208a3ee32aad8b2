"""Errors of notification settings and deliveries: unknown things, refused URLs and recipients.

`UnknownSubscription` and `UnknownDelivery` read the same whether the thing does not exist
or belongs to another organisation, so that a 404 confirms nothing.
"""

from __future__ import annotations

from clearinghouse.errors import ClearinghouseError, Conflict, NotFound


class NotificationError(ClearinghouseError):
    """A notification request the caller can correct."""

    status_code = 422
    title = "Invalid notification request"


class InvalidNotificationField(NotificationError):
    """A field that cannot be taken (a webhook URL, an e-mail address, a kind); names it."""

    title = "Invalid notification field"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.path = f"$.{field}"


class EmbargoedBroadcastRefused(NotificationError):
    """An embargoed advisory goes to its designated partners only, never to everyone."""

    title = "Embargoed advisory needs its designated partners"


class UnknownSubscription(NotificationError, NotFound):
    status_code = 404
    title = "Not found"


class UnknownRecipient(NotificationError, NotFound):
    status_code = 404
    title = "Not found"


class UnknownDelivery(NotificationError, NotFound):
    status_code = 404
    title = "Not found"


class UnknownOrganisation(NotificationError, NotFound):
    status_code = 404
    title = "Unknown organisation"


class NotDeadLettered(NotificationError, Conflict):
    """Only a dead letter is redelivered: the others are delivered or still being tried."""

    status_code = 409
    title = "Delivery is not dead-lettered"
