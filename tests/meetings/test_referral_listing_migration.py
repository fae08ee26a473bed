"""Which meeting hears a referral moved from referrals.Referral.meeting to meetings.ReferralListing
(meetings 0002, referrals 0011): existing databases carry every listing an agenda made across,
with its history, and back again."""

import pytest
from django.db import connection

from tests.scratch_db import manage, scratch_database

# Production runs on PostgreSQL, so that is where an existing database is migrated; these run a
# scratch database forwards and back several times (about 30 seconds each), so once, not twice.
pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="migrated on the PostgreSQL leg only; CI time")

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
TAKE_THE_LAST_OFF_ITS_AGENDA = """
from meetings.models import AgendaItem
AgendaItem.objects.order_by("pk").last().delete()
"""
# Under the old schema: one history row per referral, as a save by a service would have written.
HISTORY_OF_THE_OLD_COLUMN = """
from django.db import connection
from django.utils import timezone
with connection.cursor() as cursor:
    names = ", ".join(column.name for column in connection.introspection.get_table_description(cursor, "referrals_referral"))
    cursor.execute(
        f"INSERT INTO referrals_historicalreferral ({names}, history_date, history_type, history_client_ip) "
        f"SELECT {names}, %s, '~', '' FROM referrals_referral",
        [timezone.now()],
    )
"""
CARRIED_HISTORY = """
from meetings.models import ReferralListing
history = ReferralListing.history.filter(history_change_reason="carried from the referral's history").order_by("referral_id")
print(*history.values_list("meeting_id", flat=True))
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


def test_a_meeting_set_at_acceptance_but_never_on_its_agenda_is_not_carried_as_a_listing():
    with scratch_database() as env:
        first = output(env, HEARD_AT_A_HELD_MEETING)[0]
        output(env, TAKE_THE_LAST_OFF_ITS_AGENDA)
        manage(env, "migrate", "meetings", "0001_initial", "-v0")
        assert output(env, REFERRALS_MEETING_COLUMN) == [first, first, first, first + 1]
        manage(env, "migrate", "-v0")
        assert output(env, LISTINGS) == [first, first, first]  # the last waits for the next agenda


def test_the_referrals_history_of_its_meeting_becomes_the_listings_history():
    with scratch_database() as env:
        first = output(env, HEARD_AT_A_HELD_MEETING)[0]
        manage(env, "migrate", "meetings", "0001_initial", "-v0")
        output(env, HISTORY_OF_THE_OLD_COLUMN)
        manage(env, "migrate", "-v0")
        assert output(env, CARRIED_HISTORY) == [first, first, first, first + 1]
