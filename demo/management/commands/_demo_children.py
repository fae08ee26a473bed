"""Children's schools and Operation Encompass for the demo (issue 18, item 6): Sarah Mitchell's
daughter's school was told the evening of the police call-out, in time; Kerry Doyle's son's school
was never told after the last call-out, so the case page flags it and the work lists count it."""

from datetime import datetime, time

from django.utils import timezone

from marac.models import User
from referrals import encompass
from referrals.models import Case, HouseholdMember

TOLD_IN_TIME = "Sarah Mitchell"  # Mia Cole, Greenhill Primary School
# Kerry Doyle's son Josh (Castle Rock School) is left with no notification: the missing one.


def seed_children(cases: dict[str, Case]) -> None:
    """`cases` by victim name, as create_cases made them, with their children and incidents."""
    case = cases[TOLD_IN_TIME]
    called_out = case.incidents.filter(police_callout=True).latest("occurred_on").occurred_on
    child = HouseholdMember.objects.select_related("case__data_key").filter(case=case, is_child=True).earliest("pk")
    encompass.encompass_record(
        member=child,
        school=child.school,
        notified_at=timezone.make_aware(datetime.combine(called_out, time(21, 30))),
        notified_by="PC 2291 Hart, Leicestershire Police, by phone to the designated safeguarding lead",
        expected_version=child.row_version,
        by=User.objects.get(username="referrer"),
    )
