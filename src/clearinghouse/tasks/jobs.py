"""The jobs the queue runs. Each opens the database itself and may run twice harmlessly."""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab

from clearinghouse.clock import SystemClock
from clearinghouse.evals.jobs import JOB_RETRIES, JOB_RETRY_DELAY, execute_benchmark_run
from clearinghouse.notifications.jobs import (
    execute_delivery,
    execute_sweep,
    queue_startup_sweep,
)
from clearinghouse.settings import Settings, get_settings
from clearinghouse.tasks import huey

log = logging.getLogger(__name__)


def run_review_tick(settings: Settings | None = None, *, now: datetime | None = None) -> int:
    """Close reviews whose window has ended and queue the 7-day and 1-day reminders.

    Idempotent: a closed review stays closed, and each reminder has a unique dedupe key.
    """
    from clearinghouse.review.service import tick
    from clearinghouse.storage import open_database

    db = open_database((settings or get_settings()).database_url)
    try:
        with db.session() as session:
            queued = tick(session, now=now or SystemClock().now())
    finally:
        db.dispose()
    log.info("review tick: %d notifications queued", queued)
    return queued


@huey.periodic_task(crontab(minute="*"), retries=2, retry_delay=10)
def review_tick() -> int:
    return run_review_tick()


# Benchmark runs (issue 7): queued by `evals.runs.enqueue_run`, one job per run.
benchmark_run = huey.task(retries=JOB_RETRIES, retry_delay=JOB_RETRY_DELAY)(execute_benchmark_run)


# Notification delivery (issue 5): one job per attempt, queued by the sweeper and by a
# failed attempt (its retry, at the backoff's time); the sweep runs every minute and once
# when a worker starts, to take over what a killed worker was doing.
deliver_notification = huey.task()(execute_delivery)
sweep_notifications = huey.task()(execute_sweep)


@huey.periodic_task(crontab(minute="*"))
def notifications_sweep() -> None:
    execute_sweep()


@huey.on_startup()
def sweep_notifications_at_start() -> None:
    queue_startup_sweep(sweep_notifications)
