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
    assert {"referrals.tasks.end_expired_break_glass_grants", "meetings.tasks.tidy_stored_packs"} <= {
        entry["task"] for entry in BEAT_SCHEDULE.values()
    }


def test_expired_sessions_are_cleared_and_live_ones_kept(db):
    live, ended = SessionStore(), SessionStore()
    live.create()
    ended.create()
    Session.objects.filter(session_key=ended.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert clear_expired_sessions.apply().get() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    assert clear_expired_sessions.apply().get() == 0
