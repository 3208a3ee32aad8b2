"""The benchmark run as a task-queue job: the body the worker runs, and how it is queued.

`clearinghouse.tasks.jobs` registers `execute_benchmark_run` on the worker's Huey;
`queue_job` registers the same function on a Huey built from the caller's settings, so
the message names the same task (Huey names a task by its function's module and name)
without the caller importing the worker's queue. The job carries the run id only: the
worker reads the database URL and keys from its own settings, never from the queue.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

JOB_RETRIES = 1
JOB_RETRY_DELAY = 60


def execute_benchmark_run(run_id: int) -> str:
    """Run one queued benchmark run; a second delivery of a finished run changes nothing."""
    from clearinghouse.evals.runs import execute_run
    from clearinghouse.settings import get_settings
    from clearinghouse.storage import open_database

    settings = get_settings()
    db = open_database(settings.database_url)
    try:
        outcome = execute_run(db, run_id, encryption_key=settings.encryption_key)
    finally:
        db.dispose()
    log.info("benchmark run %s: %s", run_id, outcome.status.value)
    return outcome.status.value


def queue_job(settings: Any, run_id: int) -> None:
    from clearinghouse.tasks.queue import make_huey

    queue = make_huey(settings)
    job = queue.task(retries=JOB_RETRIES, retry_delay=JOB_RETRY_DELAY)(execute_benchmark_run)
    job(run_id)
