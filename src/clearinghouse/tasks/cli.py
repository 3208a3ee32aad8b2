"""`clearinghouse worker`: run the task queue's consumer (periodic review upkeep)."""

from __future__ import annotations

from typing import Annotated

import typer


def worker_command(
    workers: Annotated[int, typer.Option(help="Worker threads")] = 2,
) -> None:
    """Run background jobs until interrupted.

    The queue is a SQLite file in the embedded mode, Redis with CLEARINGHOUSE_QUEUE_URL.
    """
    from clearinghouse.tasks import huey

    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True)
    consumer.run()


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_command)
