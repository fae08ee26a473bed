"""The periodic jobs (marac/schedules.py): each names a task a worker knows, and each does its
work once however often it runs."""

from datetime import timedelta

from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from marac.celery import app
from marac.schedules import BEAT_SCHEDULE
from marac.tasks import clear_expired_sessions


def test_every_scheduled_job_names_a_registered_task():
    app.loader.import_default_modules()  # what a worker does at start: every app's tasks.py
    missing = [entry["task"] for entry in BEAT_SCHEDULE.values() if entry["task"] not in app.tasks]
    assert not missing
    assert {
        "referrals.tasks.end_expired_break_glass_grants",
        "referrals.tasks.lapse_stale_emergency_requests",
        "meetings.tasks.tidy_stored_packs",
    } <= {entry["task"] for entry in BEAT_SCHEDULE.values()}


def test_expired_sessions_are_cleared_and_live_ones_kept(db):
    live, ended = SessionStore(), SessionStore()
    live.create()
    ended.create()
    Session.objects.filter(session_key=ended.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert clear_expired_sessions.apply().get() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert clear_expired_sessions.apply().get() == 0


def test_sign_in_records_older_than_ninety_days_are_forgotten(db):
    from axes.models import AccessFailureLog, AccessLog

    from marac.tasks import SIGN_IN_RECORDS_DAYS, forget_old_sign_in_records

    old = timezone.now() - timedelta(days=SIGN_IN_RECORDS_DAYS + 1)
    for when, name in ((old, "old"), (timezone.now(), "recent")):
        AccessLog.objects.create(username=name, ip_address="10.0.0.1", user_agent="", attempt_time=when)
        AccessFailureLog.objects.create(username=name, ip_address="10.0.0.1", user_agent="", locked_out=False)
    AccessLog.objects.filter(username="old").update(attempt_time=old)  # attempt_time is set on create
    AccessFailureLog.objects.filter(username="old").update(attempt_time=old)
    assert forget_old_sign_in_records.apply().get() == 2
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["recent"]
    assert list(AccessFailureLog.objects.values_list("username", flat=True)) == ["recent"]
