"""Periodic work for referrals (scheduled in marac/schedules.py)."""

from django.db import transaction
from django.utils import timezone

from marac.celery import app
from referrals import emergency
from referrals.emergency import LAPSE_AFTER
from referrals.models import BreakGlassGrant, EmergencyAccessRequest


@app.task
def end_expired_break_glass_grants() -> int:
    """End every emergency-access grant past its expiry, each ending an access event for auditors.
    Access already stops at expiry (referrals.access); this makes the end a recorded fact. Safe to
    run late or twice: a grant is ended once."""
    with transaction.atomic():
        return emergency.grants_end(BreakGlassGrant.objects.filter(expires_at__lte=timezone.now()), why="expired")


@app.task
def lapse_stale_emergency_requests() -> int:
    """Lapse every ask for emergency access still waiting a day after it was made, each lapse an
    access event. Asks are already shown, and refused a decision, as lapsed from that moment
    (referrals.emergency.shown_status); this makes it a recorded fact. Safe to run late or twice."""
    with transaction.atomic():
        return emergency.asks_lapse(EmergencyAccessRequest.objects.filter(requested_at__lte=timezone.now() - LAPSE_AFTER))


@app.task
def review_retention() -> dict[str, int]:
    """The daily retention review (referrals.retention.scheduled_review): the cases due for erasure
    in each area, worked out in SQL and recorded once per area and day. Safe to run late or twice."""
    from referrals import retention

    return retention.scheduled_review()
