"""Background work through a real task queue (Huey): periodic review upkeep, and more to come.

`huey` is built from the settings at import time, as Huey's task decorators need; the
`clearinghouse worker` command runs its consumer. Handlers are idempotent.
"""

from clearinghouse.settings import get_settings
from clearinghouse.tasks.queue import make_huey

huey = make_huey(get_settings())

from clearinghouse.tasks import jobs  # noqa: E402  (registers the tasks on `huey`)

__all__ = ["huey", "jobs"]
