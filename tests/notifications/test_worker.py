"""Delivery through the real queue: `clearinghouse worker` processes on a SQLite queue file.

Each test starts the real command in a subprocess, against a real HTTP receiver on a
loopback port, on both databases: retries until delivered exactly once by id, dead
letters after N attempts, and a worker killed with SIGKILL mid-delivery whose
successor finishes everything. Figures are printed (run with -s to see them).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clearinghouse.notifications.models import (
    DeliveryAttempt,
    DeliveryStatus,
    NotificationDelivery,
)
from clearinghouse.review.models import Notification
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

from .conftest import Receiver, fast_settings, make_org, notify, subscribe

pytestmark = pytest.mark.slow


class Workers:
    """Starts `clearinghouse worker` processes with the test's settings; kills what it started."""

    def __init__(self, settings: Settings, tmp_path: Path) -> None:
        self.env = {
            **os.environ,
            "CLEARINGHOUSE_DATABASE_URL": settings.database_url,
            "CLEARINGHOUSE_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
            "CLEARINGHOUSE_ENCRYPTION_KEY": settings.encryption_key,
            "CLEARINGHOUSE_WEBHOOK_MAX_ATTEMPTS": str(settings.webhook_max_attempts),
            "CLEARINGHOUSE_WEBHOOK_TIMEOUT_SECONDS": str(settings.webhook_timeout_seconds),
            "CLEARINGHOUSE_WEBHOOK_BACKOFF_SECONDS": str(settings.webhook_backoff_seconds),
            "CLEARINGHOUSE_WEBHOOK_BACKOFF_MAX_SECONDS": str(settings.webhook_backoff_max_seconds),
            "CLEARINGHOUSE_NOTIFICATION_LEASE_SECONDS": str(settings.notification_lease_seconds),
            "CLEARINGHOUSE_NOTIFICATION_SWEEP_GRACE_SECONDS": "0",
        }
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        log = open(self.tmp_path / f"worker-{len(self.started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "clearinghouse", "worker", "--workers", "4"],
            env=self.env,
            cwd=self.tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def logs(self) -> str:
        return "\n".join(p.read_text() for p in sorted(self.tmp_path.glob("worker-*.log")))


@pytest.fixture
def workers_for(tmp_path: Path) -> Iterator[Callable[[Settings], Workers]]:
    made: list[Workers] = []

    def make(settings: Settings) -> Workers:
        made.append(Workers(settings, tmp_path))
        return made[-1]

    yield make
    for workers in made:
        workers.stop_all()


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str, logs: str = "") -> float:
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError(f"{what}: not within {seconds} s\n{logs}")
        time.sleep(0.2)
    return time.monotonic() - started


def _count(db: Database, *conditions: object) -> int:
    with db.read_session() as session:
        query = select(func.count()).select_from(NotificationDelivery)
        for condition in conditions:
            query = query.where(condition)  # type: ignore[arg-type]
        return session.scalar(query) or 0


def _attempt_codes(db: Database, org_id: int) -> dict[str, list[int | None]]:
    with db.read_session() as session:
        rows = session.execute(
            select(NotificationDelivery.public_id, DeliveryAttempt.status_code)
            .join(DeliveryAttempt, DeliveryAttempt.delivery_id == NotificationDelivery.id)
            .where(NotificationDelivery.organisation_id == org_id)
            .order_by(DeliveryAttempt.number)
        ).all()
    codes: dict[str, list[int | None]] = {}
    for public_id, code in rows:
        codes.setdefault(public_id, []).append(code)
    return codes


def test_retries_deliver_exactly_once_by_id_and_dead_letters_after_n_attempts(
    db: Database,
    db_url: str,
    encryption_key: str,
    receiver: Receiver,
    other_receiver: Receiver,
    workers_for: Callable[[Settings], Workers],
) -> None:
    settings = fast_settings(db_url, encryption_key, webhook_max_attempts=4)
    flaky, down = make_org(db, "flakyco"), make_org(db, "downco")
    receiver.secret = subscribe(db, settings, "flakyco", receiver.url)
    receiver.fail_first = 2  # 500 twice for every id, then 204
    other_receiver.secret = subscribe(db, settings, "downco", other_receiver.url)
    other_receiver.always_fail = True
    notifications = 6
    notify(db, [flaky, down], notifications)
    workers = workers_for(settings)

    started = time.monotonic()
    workers.start()
    delivered_after = wait_for(
        lambda: (
            _count(db, NotificationDelivery.status == DeliveryStatus.delivered) == notifications
        ),
        seconds=60,
        what="the flaky receiver's deliveries",
        logs=workers.logs(),
    )
    wait_for(
        lambda: _count(db, NotificationDelivery.status == DeliveryStatus.dead) == notifications,
        seconds=60,
        what="the dead letters",
        logs=workers.logs(),
    )
    dead_after = time.monotonic() - started

    # The flaky receiver: every notification once by id, each after exactly 3 tries.
    accepted = receiver.accepted_ids()
    assert len(accepted) == notifications and set(accepted.values()) == {1}
    assert set(receiver.tries().values()) == {3}
    assert receiver.bad_signatures == 0 and other_receiver.bad_signatures == 0
    assert {tuple(c) for c in _attempt_codes(db, flaky).values()} == {(500, 500, 204)}
    # The receiver that is down: 4 tries per id, then the dead-letter log.
    assert set(other_receiver.tries().values()) == {4}
    assert other_receiver.accepted_ids() == {}
    assert {tuple(c) for c in _attempt_codes(db, down).values()} == {(500, 500, 500, 500)}
    with db.read_session() as session:
        undelivered = session.scalars(
            select(Notification.organisation_id).where(Notification.delivered_at.is_(None))
        ).all()
    assert set(undelivered) == {down}
    print(
        f"\n[{db.dialect}] {notifications} to a receiver failing twice per id: all delivered "
        f"in {delivered_after:.1f} s, 3 tries each; {notifications} to a receiver always "
        f"failing: dead after 4 tries each, {dead_after:.1f} s"
    )


def test_nothing_is_lost_when_the_worker_is_killed_mid_delivery(
    db: Database,
    db_url: str,
    encryption_key: str,
    receiver: Receiver,
    workers_for: Callable[[Settings], Workers],
) -> None:
    settings = fast_settings(
        db_url, encryption_key, webhook_timeout_seconds=4.0, notification_lease_seconds=5.0
    )
    grid = make_org(db, "gridco")
    receiver.secret = subscribe(db, settings, "gridco", receiver.url)
    receiver.sleep_seconds = 1.0  # every delivery is in flight for a second
    notifications = 12
    notify(db, [grid], notifications)
    workers = workers_for(settings)

    first = workers.start()
    wait_for(
        lambda: len(receiver.tries()) >= 4,
        seconds=60,
        what="deliveries in flight",
        logs=workers.logs(),
    )
    first.send_signal(signal.SIGKILL)
    first.wait()
    killed_at = time.monotonic()
    in_flight = _count(db, NotificationDelivery.status == DeliveryStatus.claimed)
    delivered_before = _count(db, NotificationDelivery.status == DeliveryStatus.delivered)
    assert in_flight > 0  # the kill did catch deliveries mid-attempt

    workers.start()
    recovered = wait_for(
        lambda: (
            _count(db, NotificationDelivery.status == DeliveryStatus.delivered) == notifications
        ),
        seconds=90,
        what="every delivery after the restart",
        logs=workers.logs(),
    )

    since_kill = time.monotonic() - killed_at
    with db.read_session() as session:
        ids = set(session.scalars(select(NotificationDelivery.public_id)))
        undelivered = session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.delivered_at.is_(None))
        )
        attempts = session.scalar(select(func.count()).select_from(DeliveryAttempt))
    accepted = receiver.accepted_ids()
    # Exactly once by id after the receiver's de-duplication; repeats are the same ids.
    assert set(accepted) == ids and len(ids) == notifications
    repeats = sum(n - 1 for n in receiver.tries().values())
    assert undelivered == 0
    assert receiver.bad_signatures == 0
    print(
        f"\n[{db.dialect}] SIGKILL with {in_flight} deliveries in flight "
        f"({delivered_before} delivered before): all {notifications} delivered "
        f"{since_kill:.1f} s after the kill ({recovered:.1f} s after the new worker started); "
        f"the receiver saw {repeats} repeated id(s), no new ones; {attempts} attempts logged "
        "(a killed worker's attempt is not logged: it died before recording it)"
    )
