"""Referral cut-offs count working days: not weekends, and not the bank holidays of the area's
nation (DESIGN 2.4: "e.g. 8 working days")."""

from datetime import UTC, date, datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from marac.models import Nation
from meetings import services as meetings
from meetings.selectors import cutoff_for, working_days_before


@pytest.mark.parametrize(
    ("meeting_day", "days", "nation", "cutoff"),
    [
        # An ordinary fortnight: Monday to Friday only.
        (date(2027, 2, 10), 8, Nation.ENGLAND, date(2027, 1, 29)),
        # Christmas: 25 and 28 December 2026 (Boxing Day falls on a Saturday) and 1 January 2027.
        (date(2027, 1, 5), 8, Nation.ENGLAND, date(2026, 12, 21)),
        (date(2027, 1, 5), 8, Nation.WALES, date(2026, 12, 21)),
        # Scotland also keeps 2 January, a Saturday in 2027, so Monday 4 January.
        (date(2027, 1, 5), 8, Nation.SCOTLAND, date(2026, 12, 18)),
        # St Patrick's Day, Wednesday 17 March 2027, is a bank holiday in Northern Ireland only.
        (date(2027, 3, 19), 2, Nation.NORTHERN_IRELAND, date(2027, 3, 16)),
        (date(2027, 3, 19), 2, Nation.ENGLAND, date(2027, 3, 17)),
        # Easter 2027: Good Friday 26 March and Easter Monday 29 March in England.
        (date(2027, 3, 31), 3, Nation.ENGLAND, date(2027, 3, 24)),
        (date(2027, 2, 10), 0, Nation.ENGLAND, date(2027, 2, 10)),
    ],
)
def test_working_days_leave_out_weekends_and_the_nations_bank_holidays(meeting_day, days, nation, cutoff):
    assert working_days_before(meeting_day, days, nation) == cutoff


def test_a_meetings_cutoff_follows_its_areas_nation(db, time_machine, area, coordinator, chair, police):
    time_machine.move_to(timezone.make_aware(datetime(2026, 11, 22, 9, 0)))
    meeting = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.make_aware(datetime(2027, 1, 5, 10, 0)),
        venue="Room 4",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=[police],
        by=coordinator,
    )
    assert cutoff_for(meeting) == date(2026, 12, 21)
    area.nation = Nation.SCOTLAND
    area.save()
    meeting.refresh_from_db()
    assert cutoff_for(meeting) == date(2026, 12, 18)


def test_the_cutoff_counts_from_the_meetings_day_in_london_not_in_utc(db, time_machine, area, coordinator, chair, police):
    # 00:30 on Wednesday 2 June 2027 in London is 23:30 on Tuesday 1 June in UTC; Monday 31 May
    # is the spring bank holiday, so counting from the UTC day would land on Friday 28 May.
    time_machine.move_to(timezone.make_aware(datetime(2027, 5, 1, 9, 0)))
    area.referral_cutoff_working_days = 1
    area.save()
    starts = timezone.make_aware(datetime(2027, 6, 2, 0, 30))
    assert starts.astimezone(UTC).date() == date(2027, 6, 1)
    meeting = meetings.meeting_schedule(
        area=area, starts_at=starts, venue="Room 4", online=False, chair=chair, coordinator=coordinator, agencies=[police], by=coordinator
    )
    assert cutoff_for(meeting) == date(2027, 6, 1)


def test_an_unknown_nation_cannot_be_stored(area):
    area.nation = "XYZ"
    with pytest.raises(IntegrityError), transaction.atomic():
        area.save()
