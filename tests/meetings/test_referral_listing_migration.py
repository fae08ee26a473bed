"""Which meeting hears a referral moved from referrals.Referral.meeting to meetings.ReferralListing
(meetings 0002, referrals 0011): existing databases carry every listing across, both ways."""

from tests.scratch_db import manage, scratch_database

HEARD_AT_A_HELD_MEETING = """
from datetime import date
from demo.synthetic import Hearing, bulk_hearings, held_meeting
from marac.models import Agency, AgencyKind, MaracArea, User
area = MaracArea.objects.create(name="A", short_code="AAA")
agency = Agency.objects.create(name="IDVA", kind=AgencyKind.IDVA)
person = User.objects.create(username="coordinator")
meeting = held_meeting(area=area, on=date(2026, 6, 10), chair=person, coordinator=person, agencies=[agency])
bulk_hearings(meeting=meeting, hearings=[Hearing()] * 3, agency=agency, by=person)
bulk_hearings(meeting=held_meeting(area=area, on=date(2026, 7, 8), chair=person, coordinator=person, agencies=[agency]),
              hearings=[Hearing()], agency=agency, by=person, first_number=4)
print(meeting.pk)
"""
REFERRALS_MEETING_COLUMN = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("SELECT meeting_id FROM referrals_referral ORDER BY id")
    print(*[row[0] for row in cursor.fetchall()])
"""
LISTINGS = """
from meetings.models import ReferralListing
print(*ReferralListing.objects.order_by("referral_id").values_list("meeting_id", flat=True))
"""


def output(env, script: str) -> list[int]:
    return [int(n) for n in manage(env, "shell", "-v0", "-c", script).stdout.split()]


def test_listings_go_back_to_the_referral_and_forward_again_unchanged():
    with scratch_database() as env:
        first = output(env, HEARD_AT_A_HELD_MEETING)[0]
        listed = output(env, LISTINGS)
        assert listed == [first, first, first, first + 1]
        manage(env, "migrate", "meetings", "0001_initial", "-v0")  # undoes referrals 0011 too
        assert output(env, REFERRALS_MEETING_COLUMN) == listed
        manage(env, "migrate", "-v0")
        assert output(env, LISTINGS) == listed
