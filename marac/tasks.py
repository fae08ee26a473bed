"""Periodic housekeeping for the core (scheduled in marac/schedules.py)."""

from django.contrib.sessions.models import Session
from django.utils import timezone

from marac.celery import app

# The notification emails' tasks live with the notices; importing them here is what registers
# them with a worker, which loads each app's tasks module.
from marac.notices import email_notification as email_notification
from marac.notices import email_stalled_notifications as email_stalled_notifications


@app.task
def clear_expired_sessions() -> int:
    """Delete sessions past their expiry (Django's clearsessions for the database backend): an
    ended session must not linger as a row that names who was signed in."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


# How long django-axes' records of sign-in attempts (usernames typed, addresses) are kept.
SIGN_IN_RECORDS_DAYS = 90


@app.task
def forget_old_sign_in_records() -> int:
    """Delete django-axes' access and failure records older than SIGN_IN_RECORDS_DAYS: they hold
    what people typed as a username and where from (SECURITY.md), and lockouts last an hour."""
    from axes.handlers.proxy import AxesProxyHandler  # needs the app registry: imported when run

    return AxesProxyHandler.reset_logs(age_days=SIGN_IN_RECORDS_DAYS) + AxesProxyHandler.reset_failure_logs(age_days=SIGN_IN_RECORDS_DAYS)


@app.task
def verify_rows() -> int:
    """Compare every record holding victim data with the audit chain, nightly (ADR 0023): a row put
    back from a backup is found the next morning, on the auditor's anomalies, not when it is next
    read. Returns how many rows went back, changed outside the service or are missing."""
    from marac.security.row_versions import rows_verify_recorded

    return rows_verify_recorded().failed
