"""`queue_advisory_published`, the advisories area's way into the outbox, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from clearinghouse.notifications.errors import EmbargoedBroadcastRefused
from clearinghouse.notifications.outbox import queue_advisory_published
from clearinghouse.review.models import Notification
from clearinghouse.storage import Database

from .conftest import make_org

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _publish(db: Database, recipients: list[int | None], *, embargoed: bool, version: str) -> int:
    with db.session() as session:
        return queue_advisory_published(
            session,
            advisory_id=7,
            tracking_id="CH-2026-0007",
            version=version,
            title="Heap overflow in\nlibexample",
            tlp="amber",
            recipient_org_ids=recipients,
            embargoed=embargoed,
            now=NOW,
        )


def test_one_notification_per_recipient_and_version_however_often_it_is_called(
    db: Database,
) -> None:
    grid, water = make_org(db, "gridco"), make_org(db, "waterco")

    assert _publish(db, [grid, water, None, grid], embargoed=False, version="1") == 3
    assert _publish(db, [grid, water, None], embargoed=False, version="1") == 0
    assert _publish(db, [grid], embargoed=False, version="2") == 1

    with db.read_session() as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.organisation_id, n.kind, n.subject_id) for n in rows] == [
        (grid, "advisory.published", "CH-2026-0007"),
        (water, "advisory.published", "CH-2026-0007"),
        (None, "advisory.published", "CH-2026-0007"),
        (grid, "advisory.published", "CH-2026-0007"),
    ]
    assert rows[0].body == (
        "Advisory CH-2026-0007 version 1 was published: Heap overflow in libexample (TLP:AMBER)."
    )


@pytest.mark.parametrize("recipients", [[], [None], [1, None]])
def test_an_embargoed_advisory_is_never_broadcast(
    db: Database, recipients: list[int | None]
) -> None:
    make_org(db, "gridco")
    with pytest.raises(EmbargoedBroadcastRefused, match="designated partner"):
        _publish(db, recipients, embargoed=True, version="1")
    with db.read_session() as session:
        assert session.scalars(select(Notification)).all() == []


def test_an_embargoed_advisory_goes_to_its_designated_partners_only(db: Database) -> None:
    grid = make_org(db, "gridco")
    make_org(db, "waterco")

    assert _publish(db, [grid], embargoed=True, version="1") == 1

    with db.read_session() as session:
        (row,) = session.scalars(select(Notification)).all()
    assert row.organisation_id == grid and "designated partners only" in row.body
