"""The task queue: Huey, on a SQLite file when embedded, on Redis when spread over machines."""

from __future__ import annotations

from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey
from sqlalchemy.engine import make_url

from clearinghouse.settings import Settings


def queue_path(settings: Settings) -> Path:
    """The SQLite queue file: beside a SQLite database, else in the working directory."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        return Path(url.database).with_name(Path(url.database).name + ".queue")
    return Path.cwd() / "clearinghouse-queue.db"


def make_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    if settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("clearinghouse", url=settings.queue_url, immediate=immediate)
    if settings.queue_url and not settings.queue_url.startswith("sqlite:"):
        raise ValueError(
            "CLEARINGHOUSE_QUEUE_URL must be redis://... or sqlite:///path, "
            f"not {settings.queue_url!r}"
        )
    path = (
        Path(make_url(settings.queue_url).database or "")
        if settings.queue_url
        else queue_path(settings)
    )
    return SqliteHuey("clearinghouse", filename=str(path), immediate=immediate)
