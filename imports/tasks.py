"""Periodic work for the importer (scheduled in marac/schedules.py)."""

from imports.pending import pending_forget_expired
from marac.celery import app


@app.task
def forget_expired_imports() -> int:
    """Delete every checked file whose 30 minutes are up and was neither confirmed nor cancelled.
    Getters already refuse an expired one (imports.access); this removes its sealed cells. Safe
    to run late or twice."""
    return pending_forget_expired()
