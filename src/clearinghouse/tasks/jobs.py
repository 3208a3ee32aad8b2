"""The jobs the queue runs. Each opens the database itself and may run twice harmlessly.

None is registered yet: the first, the periodic review tick (close reviews whose window
has ended, queue the 7-day and 1-day reminders), arrives with the model-review services
(issue 6). Register jobs here with `@huey.task()` / `@huey.periodic_task(...)`.
"""

from __future__ import annotations
