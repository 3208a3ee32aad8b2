"""Queue notifications in the outbox for the other areas: `advisory.published` (advisories).

The rows go through `review.notifications.queue`, so each has a dedupe key naming the
event and the recipient: publishing the same advisory version twice queues nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from clearinghouse.identity.tlp import Tlp
from clearinghouse.notifications.errors import EmbargoedBroadcastRefused, InvalidNotificationField
from clearinghouse.review.notifications import queue

ADVISORY_PUBLISHED = "advisory.published"


def queue_advisory_published(
    session: Session,
    *,
    advisory_id: int,
    tracking_id: str,
    version: str,
    title: str,
    tlp: str,
    recipient_org_ids: Iterable[int | None],
    embargoed: bool,
    now: datetime,
) -> int:
    """One `advisory.published` notification per recipient (None: the operators).

    An embargoed advisory is told to its designated partner organisations only: an empty
    list, or one naming the operators-wide recipient (None), is refused rather than
    broadcast. Returns how many notifications are new.
    """
    recipients = list(dict.fromkeys(recipient_org_ids))
    if embargoed and (not recipients or None in recipients):
        raise EmbargoedBroadcastRefused(
            f"advisory {tracking_id} is under embargo: name its designated partner "
            "organisations (and only them) as recipients"
        )
    if not tracking_id.strip() or len(tracking_id) > 100:
        raise InvalidNotificationField("tracking_id", "1 to 100 characters")
    if not version.strip() or len(version) > 40:
        raise InvalidNotificationField("version", "1 to 40 characters")
    if any(org is not None and (not isinstance(org, int) or org < 1) for org in recipients):
        raise InvalidNotificationField("recipient_org_ids", "organisation ids are positive")
    label = Tlp.parse(tlp).value
    note = " Embargoed: for designated partners only." if embargoed else ""
    return queue(
        session,
        recipients=recipients,
        kind=ADVISORY_PUBLISHED,
        subject_type="advisory",
        subject_id=tracking_id,
        body=(
            f"Advisory {tracking_id} version {version} was published: "
            f"{' '.join(title.split())[:300]} (TLP:{label}).{note}"
        ),
        event_key=f"advisory:{advisory_id}:{version}:published",
        now=now,
    )
