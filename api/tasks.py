"""Periodic work for the partner API (scheduled in marac/schedules.py)."""

from api.services import idempotency_keys_expire
from marac.celery import app


@app.task
def expire_idempotency_keys() -> int:
    """Delete Idempotency-Keys past their 24 hours (their referrals stay). Safe to run late or
    twice: what is due is worked out from each key's creation time."""
    return idempotency_keys_expire()
