"""The delivery state machine on both databases, driven in this process against a real receiver.

Fan-out, the claim and its lease, retries, dead letters, redelivery; the worker process
and its queue are in test_worker.py.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from clearinghouse.audit.models import AuditEvent
from clearinghouse.clock import ManualClock, SystemClock
from clearinghouse.identity.principal import local_operator
from clearinghouse.notifications import delivery, service
from clearinghouse.notifications.delivery import Outcome, claim, deliver_once, fan_out, sweep
from clearinghouse.notifications.models import (
    DeliveryAttempt,
    DeliveryStatus,
    NotificationDelivery,
)
from clearinghouse.review.models import Notification
from clearinghouse.storage import Database

from .conftest import Receiver, drain, fast_settings, make_org, notify, subscribe


def _deliveries(db: Database) -> list[NotificationDelivery]:
    with db.read_session() as session:
        return list(session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)))


def test_fan_out_follows_organisations_and_kinds_and_runs_once(
    db: Database, db_url: str, encryption_key: str
) -> None:
    settings = fast_settings(db_url, encryption_key, notification_sweep_grace_seconds=60)
    grid, water = make_org(db, "gridco"), make_org(db, "waterco")
    subscribe(db, settings, "gridco", "https://grid.example/hook", "finding.new")
    subscribe(db, settings, "waterco", "https://water.example/hook", "review.*")
    with db.session() as session:
        service.create_subscription(
            session,
            local_operator(),
            settings,
            url="https://ops.example/hook",
            now=datetime.now(UTC),
        )
    notify(db, [grid, water], 2, kind="finding.new")
    notify(db, [water, None], 1, kind="review.closed")
    now = SystemClock().now()

    first = sweep(db, settings, now=now)
    second = sweep(db, settings, now=now)

    targets = sorted((d.organisation_id or 0, d.target) for d in _deliveries(db))
    # gridco: its two findings; waterco: only the review kind; operators: everything theirs.
    assert [t for t in targets if t[0] == grid] == [(grid, "webhook:1")] * 2
    assert [t for t in targets if t[0] == water] == [(water, "webhook:2")]
    assert [t for t in targets if t[0] == 0] == [(0, "webhook:3")]
    assert first.fanned_out == 4 and len(first.jobs) == 4 and not first.more
    assert second.fanned_out == 0 and second.jobs == []
    with db.session() as session:
        assert fan_out(session, now=now) == []


def test_one_worker_holds_a_delivery_until_its_lease_expires(
    db: Database, db_url: str, encryption_key: str
) -> None:
    settings = fast_settings(db_url, encryption_key, notification_lease_seconds=60)
    grid = make_org(db, "gridco")
    subscribe(db, settings, "gridco", "https://grid.example/hook")
    notify(db, [grid], 1)
    now = SystemClock().now()
    ((delivery_id, _),) = sweep(db, settings, now=now).jobs

    with db.session() as session:
        assert claim(session, delivery_id, now=now, settings=settings, token="a")
    with db.session() as session:
        assert not claim(session, delivery_id, now=now, settings=settings, token="b")
    later = now + timedelta(seconds=61)
    with db.session() as session:
        assert claim(session, delivery_id, now=later, settings=settings, token="c")
    (delivery,) = _deliveries(db)
    assert delivery.claimed_by == "c" and delivery.attempts == 2


def test_failing_receiver_is_retried_then_dead_lettered_then_redelivered(
    db: Database, db_url: str, encryption_key: str, receiver: Receiver
) -> None:
    settings = fast_settings(db_url, encryption_key, webhook_max_attempts=3)
    grid = make_org(db, "gridco")
    receiver.secret = subscribe(db, settings, "gridco", receiver.url)
    receiver.always_fail = True
    notify(db, [grid], 2)

    outcomes = drain(db, settings)

    assert [o.status for o in outcomes].count(DeliveryStatus.dead) == 2
    assert receiver.bad_signatures == 0
    assert sorted(receiver.tries().values()) == [3, 3]
    deliveries = _deliveries(db)
    assert {d.status for d in deliveries} == {DeliveryStatus.dead}
    with db.read_session() as session:
        attempts = session.scalars(select(DeliveryAttempt)).all()
        dead_events = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "notification.dead_lettered")
        )
    assert {(a.status_code, a.ok, a.error) for a in attempts} == {(500, False, "HTTP 500")}
    assert all(a.duration_ms > 0 for a in attempts) and len(attempts) == 6
    assert dead_events == 2
    # Backoff: one id's tries are at least 0.05 s, then 0.1 s apart (more on a busy machine).
    first_id = deliveries[0].public_id
    times = [r["at"] for r in receiver.requests if r["id"] == first_id]
    assert times[1] - times[0] >= 0.05 - 0.005 and times[2] - times[1] >= 0.1 - 0.005

    receiver.always_fail = False
    with db.session() as session:
        for d in deliveries:
            service.redeliver(session, local_operator(), d.public_id, now=datetime.now(UTC))
    drain(db, settings)

    assert set(receiver.accepted_ids()) == {d.public_id for d in deliveries}
    assert {d.status for d in _deliveries(db)} == {DeliveryStatus.delivered}
    with db.read_session() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(Notification.delivered_at.is_(None))
            )
            == 0
        )
        numbers = session.scalars(
            select(DeliveryAttempt.number).where(DeliveryAttempt.delivery_id == deliveries[0].id)
        ).all()
    assert sorted(numbers) == [1, 2, 3, 4]


def test_a_receiver_too_slow_to_answer_is_a_timeout(
    db: Database, db_url: str, encryption_key: str, receiver: Receiver
) -> None:
    settings = fast_settings(
        db_url, encryption_key, webhook_max_attempts=1, webhook_timeout_seconds=0.3
    )
    grid = make_org(db, "gridco")
    receiver.secret = subscribe(db, settings, "gridco", receiver.url)
    receiver.sleep_seconds = 1.0
    notify(db, [grid], 1)

    (outcome,) = drain(db, settings)

    assert outcome.status is DeliveryStatus.dead
    assert outcome.attempt is not None and outcome.attempt.status_code is None
    assert "timed out" in (outcome.attempt.error or "")
    assert 250 < outcome.attempt.duration_ms < 900


def test_a_worker_that_lost_its_lease_does_not_overwrite_the_new_holder(
    db: Database, db_url: str, encryption_key: str, receiver: Receiver
) -> None:
    settings = fast_settings(db_url, encryption_key, notification_lease_seconds=0.5)
    grid = make_org(db, "gridco")
    receiver.secret = subscribe(db, settings, "gridco", receiver.url)
    receiver.sleep_seconds = 1.0  # longer than the lease
    notify(db, [grid], 1)
    ((delivery_id, _),) = sweep(db, settings, now=SystemClock().now()).jobs
    clock = SystemClock()

    outcomes: dict[str, Outcome] = {}
    slow = threading.Thread(
        target=lambda: outcomes.update(
            slow=deliver_once(db, settings, delivery_id, clock=clock, worker="slow")
        )
    )
    slow.start()
    time.sleep(0.7)  # the slow worker's lease has run out; its receiver still thinks
    receiver.sleep_seconds = 0
    # The next worker takes the expired claim over and finishes the delivery...
    taken = deliver_once(db, settings, delivery_id, clock=clock, worker="next")
    slow.join()

    assert taken.status is DeliveryStatus.delivered
    # ...and the slow worker's late result does not overwrite it.
    assert outcomes["slow"].status is None and outcomes["slow"].attempt is not None
    (delivery,) = _deliveries(db)
    assert delivery.status is DeliveryStatus.delivered and len(delivery.attempt_log) == 2
    # At least once: the receiver saw the id twice and keeps it once.
    assert receiver.tries()[delivery.public_id] == 2


def test_a_removed_subscription_ends_its_deliveries_as_dead_letters(
    db: Database, db_url: str, encryption_key: str, receiver: Receiver
) -> None:
    settings = fast_settings(db_url, encryption_key)
    grid = make_org(db, "gridco")
    receiver.secret = subscribe(db, settings, "gridco", receiver.url)
    notify(db, [grid], 1)
    now = datetime.now(UTC)
    jobs = sweep(db, settings, now=now).jobs
    with db.session() as session:
        service.remove_subscription(session, local_operator(), 1, now=now)

    outcome = deliver_once(db, settings, jobs[0][0], clock=SystemClock(), worker="t")

    assert outcome.status is DeliveryStatus.dead
    assert receiver.tries() == {}
    assert _deliveries(db)[0].last_error == "the webhook subscription was removed"


def test_old_outbox_rows_are_not_sent_to_new_subscriptions(
    db: Database, db_url: str, encryption_key: str
) -> None:
    settings = fast_settings(db_url, encryption_key)
    grid = make_org(db, "gridco")
    notify(db, [grid], 1)
    subscribe(db, settings, "gridco", "https://grid.example/hook")

    result = sweep(db, settings, now=ManualClock(datetime.now(UTC) + timedelta(days=8)).now())

    assert result.fanned_out == 0 and _deliveries(db) == []


def test_a_burst_bigger_than_one_batch_asks_for_another_sweep(
    db: Database, db_url: str, encryption_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = fast_settings(db_url, encryption_key)
    grid = make_org(db, "gridco")
    subscribe(db, settings, "gridco", "https://grid.example/hook")
    notify(db, [grid], 3)
    monkeypatch.setattr(delivery, "FANOUT_BATCH", 2)
    now = SystemClock().now()

    first = sweep(db, settings, now=now)
    second = sweep(db, settings, now=now)

    assert (first.fanned_out, first.more) == (2, True)
    assert (second.fanned_out, second.more) == (1, False)
