"""Periodic housekeeping for the core (scheduled in marac/schedules.py)."""

from django.contrib.sessions.models import Session
from django.utils import timezone

from marac.celery import app


@app.task
def clear_expired_sessions() -> int:
    """Delete sessions past their expiry (Django's clearsessions for the database backend): an
    ended session must not linger as a row that names who was signed in."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
