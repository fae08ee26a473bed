"""The Celery app: the service's background work and its schedule.

Web processes queue tasks; `celery -A marac.celery worker` runs them and `celery -A marac.celery
beat` queues the periodic ones (marac/schedules.py). Settings are the CELERY_* names in
marac/settings.py. Tasks live in each app's tasks.py, take ids (never personal data: messages sit
in the broker unencrypted), are idempotent and retry with backoff; what a task that keeps
failing leaves behind is recorded where the person it concerns will see it.
"""

import os

from celery import Celery

from marac.schedules import BEAT_SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marac.settings")

app = Celery("marac")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.beat_schedule = BEAT_SCHEDULE
app.autodiscover_tasks()
