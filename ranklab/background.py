"""Background work: the one way a service asks for work after its transaction commits.

Services name a task instead of importing it, so `tasks.py` stays the top of each app
(tasks import services, never the other way round). The message leaves once the current
transaction commits, so a worker never looks for rows that are not there yet. A broker that
is down loses the message, never the caller's commit or request: the failure is logged, and
the database stays the source of truth (the periodic sweeps hand such work out again).
"""

import logging
from collections.abc import Callable

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue_after_commit(task_name: str, *args) -> None:
    """Send the task `task_name` with `args` once the current transaction commits (at once outside one)."""
    after_commit(current_app.send_task, task_name, args=args)


def after_commit(function: Callable, /, *args, **kwargs) -> None:
    """Call `function(*args, **kwargs)` once the current transaction commits; a failure is logged, not raised."""

    def run() -> None:
        try:
            function(*args, **kwargs)
        except Exception:
            logger.exception("After commit, %s%r failed", getattr(function, "__name__", function), args)

    transaction.on_commit(run)
