"""The task queue runs jobs through real storage: a SQLite file, and Redis where it answers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from huey import RedisHuey, SqliteHuey

from clearinghouse.settings import Settings
from clearinghouse.tasks.queue import make_huey, queue_path


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_the_embedded_queue_lives_beside_the_sqlite_database(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'ch.db'}")
    assert queue_path(settings) == tmp_path / "ch.db.queue"
    assert isinstance(make_huey(settings), SqliteHuey)


def test_a_redis_url_gives_a_redis_queue() -> None:
    settings = Settings(queue_url="redis://127.0.0.1:6379/15")
    assert isinstance(make_huey(settings), RedisHuey)


def test_an_unknown_queue_url_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="CLEARINGHOUSE_QUEUE_URL"):
        make_huey(Settings(queue_url="amqp://localhost"))


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_job_survives_in_the_queue_until_a_worker_runs_it(backend: str, tmp_path: Path) -> None:
    if backend == "redis":
        if not _redis_answers():
            pytest.skip("Redis is not reachable on 127.0.0.1:6379")
        settings = Settings(queue_url="redis://127.0.0.1:6379/15")
    else:
        settings = Settings(database_url=f"sqlite:///{tmp_path / 'ch.db'}")
    producer = make_huey(settings)
    producer.flush()
    ran: list[int] = []

    @producer.task()
    def double(n: int) -> int:
        ran.append(n)
        return n * 2

    result = double(21)
    assert ran == []  # nothing runs at enqueue time
    # A separate Huey on the same storage stands for a worker process started later.
    worker = make_huey(settings)
    worker._registry = producer._registry
    assert worker.pending_count() == 1
    task = worker.dequeue()
    assert task is not None
    worker.execute(task)
    assert ran == [21]
    assert result.get() == 42
    producer.flush()
