"""NI 32 counts a case as heard only at a meeting that has happened: one dated later than today
counts for nothing, whatever its status says (it could once be started early)."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from demo.synthetic import Hearing, bulk_hearings
from marac.periods import between
from meetings.models import Meeting
from reports.selectors import data_return, hearings, ni32_by_area


def test_a_future_meeting_marked_in_progress_counts_no_case_as_heard_until_its_day(hold, area, idva, coordinator, time_machine):
    on = date.today() + timedelta(days=14)
    future = hold(on)
    Meeting.objects.filter(pk=future.pk).update(status=Meeting.Status.IN_PROGRESS)  # as the defect left it
    bulk_hearings(meeting=future, hearings=[Hearing(repeat_current=True, repeat_ni32=True), Hearing()], agency=idva, by=coordinator)
    period = between(date.today() - timedelta(days=30), on + timedelta(days=30))

    assert hearings(period, [area.pk]).count() == 0
    assert ni32_by_area(period, [area])[0].own.heard == 0
    assert data_return(area, period, year_to_date=period).meetings_held == 0

    time_machine.move_to(timezone.make_aware(datetime.combine(on, time(12))))
    figure = ni32_by_area(period, [area])[0].own
    assert (figure.repeats, figure.heard) == (1, 2)  # on its day it has happened


def test_a_meeting_held_earlier_today_counts(hold, area, idva, coordinator):
    today = hold(date.today())
    bulk_hearings(meeting=today, hearings=[Hearing()], agency=idva, by=coordinator)
    period = between(date.today() - timedelta(days=1), date.today() + timedelta(days=1))
    assert ni32_by_area(period, [area])[0].own.heard == 1
