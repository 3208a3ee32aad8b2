"""The delivery jobs the task queue runs: one attempt of one delivery, and the sweeper.

`clearinghouse.tasks.jobs` registers `execute_delivery` and `execute_sweep` on the
worker's Huey (and runs the sweep every minute and once when a worker starts). Jobs
carry a delivery id only; the worker reads the database URL and keys from its own
settings. A failed attempt queues its retry as a scheduled job; the sweeper queues again
whatever a dead worker took with it, so nothing depends on a job surviving.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import datetime

from clearinghouse.clock import SystemClock

log = logging.getLogger(__name__)

_startup_sweep_queued = threading.Event()


def execute_delivery(delivery_id: int) -> None:
    """One attempt of one delivery (a no-op if it is not due or another worker holds it)."""
    from clearinghouse.notifications.delivery import deliver_once, worker_name
    from clearinghouse.settings import get_settings
    from clearinghouse.storage import open_database

    settings = get_settings()
    clock = SystemClock()
    db = open_database(settings.database_url)
    try:
        outcome = deliver_once(db, settings, delivery_id, clock=clock, worker=worker_name())
    finally:
        db.dispose()
    if outcome.status is not None:
        attempt = outcome.attempt
        log.info(
            "delivery %d: %s (%s)",
            delivery_id,
            outcome.status.value,
            attempt.error or attempt.status_code if attempt else "",
        )
    if outcome.retry_at is not None:
        enqueue([(delivery_id, outcome.retry_at)], now=clock.now())


def execute_sweep() -> None:
    """Fan out new notifications and queue every delivery that needs a job."""
    from clearinghouse.notifications.delivery import sweep
    from clearinghouse.settings import get_settings
    from clearinghouse.storage import open_database

    settings = get_settings()
    clock = SystemClock()
    db = open_database(settings.database_url)
    try:
        result = sweep(db, settings, now=clock.now())
    finally:
        db.dispose()
    enqueue(result.jobs, now=clock.now())
    if result.more:  # a burst bigger than one batch: carry on now, not in a minute
        from clearinghouse.tasks.jobs import sweep_notifications

        sweep_notifications()
    if result.fanned_out or result.dead_lettered or result.jobs:
        log.info(
            "notification sweep: %d new deliveries, %d dead-lettered, %d jobs queued",
            result.fanned_out,
            result.dead_lettered,
            len(result.jobs),
        )


def enqueue(jobs: Iterable[tuple[int, datetime]], *, now: datetime) -> None:
    """Queue `execute_delivery` on the worker's queue, now or at the given time."""
    from clearinghouse.tasks.jobs import deliver_notification

    for delivery_id, at in jobs:
        if at <= now:
            deliver_notification(delivery_id)
        else:
            deliver_notification.schedule(args=(delivery_id,), eta=at)


def queue_startup_sweep(sweep_task: Callable[[], object]) -> None:
    """Queue one sweep when a worker process starts (Huey calls this in every thread)."""
    if _startup_sweep_queued.is_set():
        return
    _startup_sweep_queued.set()
    sweep_task()
