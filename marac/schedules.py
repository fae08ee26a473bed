"""Every periodic job, in one place: celery beat queues each task on its schedule.

Each entry names a task by its registered name, so this module imports none of the apps. A job
must be safe to run late, twice, or after a missed run (beat does not catch up on what it missed
while stopped), so each one works out what is due from the database, not from the last run.
"""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Emergency (break-glass) access that has run out is ended and the ending logged.
    "end-expired-break-glass-grants": {
        "task": "referrals.tasks.end_expired_break_glass_grants",
        "schedule": crontab(minute="*/5"),
    },
    # Stored meeting packs past their keep-until date, or no longer current, are removed.
    "remove-stale-packs": {
        "task": "meetings.tasks.remove_stale_packs",
        "schedule": crontab(minute=17),
    },
    # Packs of meetings still to come are checked against the records and re-rendered where
    # they changed: a safety net behind the changes that queue packs as they happen.
    "refresh-upcoming-packs": {
        "task": "meetings.tasks.refresh_upcoming_packs",
        "schedule": crontab(minute=47),
    },
}
