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
    # Asks for emergency access in another area that nobody decided within a day lapse, logged.
    "lapse-stale-emergency-requests": {
        "task": "referrals.tasks.lapse_stale_emergency_requests",
        "schedule": crontab(minute="*/15"),
    },
    # Retention (ADR 0027): the cases due for erasure in each area, and the areas with no period,
    # worked out each morning and recorded once per area and day. Daily, not weekly: a case that
    # became due, or a hold lifted, shows the next working day; the query is one per run.
    "review-retention": {
        "task": "referrals.tasks.review_retention",
        "schedule": crontab(minute=50, hour=5),
    },
    # Every record holding victim data compared with the audit chain, each night (ADR 0023).
    "verify-rows": {
        "task": "marac.tasks.verify_rows",
        "schedule": crontab(minute=30, hour=2),
    },
    # Stored meeting packs past their keep-until date are removed; every meeting with an agenda or
    # minutes out has its packs checked against the records, stale ones emptied and re-rendered.
    # A safety net behind the changes that queue packs as they happen.
    "tidy-stored-packs": {
        "task": "meetings.tasks.tidy_stored_packs",
        "schedule": crontab(minute=17),
    },
    # Reminders: research due before a meeting, actions due in 3 days, actions overdue. Hourly in
    # the working day, so a run missed is made up the same day; each is sent once however often
    # this runs (meetings/reminders.py).
    "send-reminders": {
        "task": "meetings.tasks.send_reminders",
        "schedule": crontab(minute=40, hour="7-18"),
    },
    # Notification emails still waiting a while after their event (the broker was down when it
    # happened, or the worker died) are queued again; each is claimed, so none goes twice.
    "email-stalled-notifications": {
        "task": "marac.notices.email_stalled_notifications",
        "schedule": crontab(minute="*/15"),
    },
    # A checked import file's sealed cells, kept 30 minutes for the coordinator to confirm, are
    # deleted once expired if neither confirmed nor cancelled (imports/pending.py, ADR 0029).
    "forget-expired-imports": {
        "task": "imports.tasks.forget_expired_imports",
        "schedule": crontab(minute="*/10"),
    },
    # Partner API Idempotency-Keys (keyed digests) past their 24 hours are deleted (ADR 0030).
    "expire-api-idempotency-keys": {
        "task": "api.tasks.expire_idempotency_keys",
        "schedule": crontab(minute=35),
    },
    # Sessions past their expiry are deleted.
    "clear-expired-sessions": {
        "task": "marac.tasks.clear_expired_sessions",
        "schedule": crontab(hour=3, minute=5),
    },
    # Records of sign-in attempts older than 90 days are deleted.
    "forget-old-sign-in-records": {
        "task": "marac.tasks.forget_old_sign_in_records",
        "schedule": crontab(hour=3, minute=25),
    },
}
