"""Queueing background work from a request or a service.

Work is queued once the transaction that asked for it commits, so a worker never looks for a row
that is not there yet (or was rolled back). A broker that cannot be reached must not turn a
person's saved change into an error page: the change stands, the failure is logged, and the
periodic jobs (marac/schedules.py) catch up on what was missed.
"""

import logging

from celery import Task
from django.db import transaction

logger = logging.getLogger("marac.background")


def queue_after_commit(task: Task, *args: int | str) -> None:
    """Queue `task(*args)` when the current transaction commits (at once outside one). Arguments
    are ids and codes only: messages sit in the broker unencrypted."""
    transaction.on_commit(lambda: queue_now(task, *args))


def queue_now(task: Task, *args: int | str) -> None:
    try:
        task.delay(*args)
    except Exception as error:  # the broker's errors vary by transport; none may fail the request
        # The error's type only: its text can quote the broker's address, password included.
        logger.error("task_not_queued task=%s error=%s", task.name, type(error).__name__)
