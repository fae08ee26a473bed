"""Periodic work for referrals (scheduled in marac/schedules.py)."""

from django.db import transaction
from django.utils import timezone

import audit
from marac.celery import app
from referrals.models import BreakGlassGrant


@app.task
def end_expired_break_glass_grants() -> int:
    """End every emergency-access grant past its expiry, each ending an access event for auditors.
    Access already stops at expiry (referrals.access); this makes the end a recorded fact. Safe to
    run late or twice: a grant is ended once."""
    ended = 0
    with transaction.atomic():
        expired = (
            BreakGlassGrant.objects.select_for_update(of=("self",))
            .filter(ended_at=None, expires_at__lte=timezone.now())
            .select_related("case")
        )
        for grant in expired:
            grant.ended_at = timezone.now()
            grant.save(update_fields=["ended_at"])
            audit.record(
                event="break_glass_ended", user=grant.user, case_reference=grant.case.reference, purpose=f"expired; reason {grant.reason}"
            )
            ended += 1
    return ended
