"""First contact for the demo's measures (issue 18, item 8): the IDVA who referred each case
records when she first reached the victim, a few days after the referral; one referral still
waits for first contact, so the measures show what is missing too. Decisions are dated two days
after each referral, as triage would have made them (the demo plays its decisions today, which
would make every referral look months undecided). The actions scorecard takes its figures from
the demo's past meeting (_demo_meetings.ACTIONS: done on time, open and overdue, not possible,
not done), whose actions fall due in the current financial year."""

from datetime import datetime, time, timedelta

from django.utils import timezone

from referrals.first_contact import first_contact_record
from referrals.models import Case, Referral

# Days after the referral that the IDVA first reached her, by victim; Sarah Mitchell's latest
# referral is left without one.
FIRST_CONTACT_AFTER = {"Sarah Mitchell": 3, "Kerry Doyle": 1, "Joanne Price": 2, "Jo Pryce": 1, "Emma Walsh": 5}


def seed_measures(cases: dict[str, Case]) -> None:
    """`cases` by victim name, as create_cases made them, with their referrals."""
    today = timezone.localdate()
    for name, days in FIRST_CONTACT_AFTER.items():
        referrals = Referral.objects.select_related("case", "referred_by").filter(case=cases[name]).exclude(submitted_on=None)
        for referral in referrals.order_by("submitted_on")[:1]:  # the first referral of each case
            if referral.decided_at:  # written directly: the demo's history is invented
                decided = timezone.make_aware(datetime.combine(referral.submitted_on + timedelta(days=2), time(11)))
                Referral.objects.filter(pk=referral.pk).update(decided_at=min(decided, timezone.now()))
            on = min(referral.submitted_on + timedelta(days=days), today)
            if referral.first_contact_on is None:  # safe to run again
                first_contact_record(referral=referral, on=on, by=referral.referred_by, today=today)
