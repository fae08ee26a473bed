"""Which meeting hears an accepted referral: the one whose agenda lists it, or else the first
meeting whose agenda is not issued yet, whose cut-off it made and whose agenda has not passed the
case over (meetings.selectors)."""

from datetime import timedelta

from django.utils import timezone

from meetings import services as meetings
from meetings.selectors import hearing_dates, referrals_for_agenda
from tests.meetings.conftest import accepted


def day_of(meeting):
    return timezone.localtime(meeting.starts_at).date()


def schedule_later(meeting, *, days: int):
    return meetings.meeting_schedule(
        area=meeting.area,
        starts_at=meeting.starts_at + timedelta(days=days),
        venue="Room 5",
        online=False,
        chair=meeting.chair,
        coordinator=meeting.coordinator,
        agencies=list(meeting.invited_agencies.all()),
        by=meeting.coordinator,
    )


def test_building_a_later_agenda_first_leaves_the_referral_to_the_earlier_meeting(meeting, case_a, referrer, idva, coordinator):
    later = schedule_later(meeting, days=70)
    referral = accepted(case_a, referrer=referrer, agency=idva, coordinator=coordinator)
    assert referrals_for_agenda(later) == []
    assert meetings.agenda_build(meeting=later, by=coordinator) == 0
    assert hearing_dates([referral]) == {referral.pk: day_of(meeting)}
    assert meetings.agenda_build(meeting=meeting, by=coordinator) == 1
    assert hearing_dates([referral]) == {referral.pk: day_of(meeting)}


def test_a_referral_deferred_from_one_meeting_is_shown_and_listed_for_the_next(meeting, case_a, referrer, idva, coordinator):
    later = schedule_later(meeting, days=28)
    referral = accepted(case_a, referrer=referrer, agency=idva, coordinator=coordinator)
    meetings.agenda_build(meeting=meeting, by=coordinator)
    meetings.agenda_remove(item=meeting.agenda_items.get(case=case_a), because="deferred", by=coordinator)
    assert hearing_dates([referral]) == {referral.pk: day_of(later)}
    assert [r.pk for r in referrals_for_agenda(later)] == [referral.pk]


def test_a_referral_accepted_before_any_meeting_is_scheduled_waits_for_the_first_one(case_a, referrer, idva, coordinator, meeting):
    referral = accepted(case_a, referrer=referrer, agency=idva, coordinator=coordinator)
    meeting.status = meeting.Status.IN_PROGRESS  # no meeting left whose agenda is not issued
    meeting.save()
    assert hearing_dates([referral]) == {}
    later = schedule_later(meeting, days=35)
    assert hearing_dates([referral]) == {referral.pk: day_of(later)}


def test_a_referral_accepted_once_the_agenda_is_issued_goes_to_the_next_meeting(meeting, case_a, case_b, referrer, idva, coordinator):
    meetings.agenda_add(meeting=meeting, case=case_b, because="review", by=coordinator)
    meetings.agenda_issue(meeting=meeting, by=coordinator)
    later = schedule_later(meeting, days=28)
    referral = accepted(case_a, referrer=referrer, agency=idva, coordinator=coordinator)
    assert hearing_dates([referral]) == {referral.pk: day_of(later)}
    assert [r.pk for r in referrals_for_agenda(later)] == [referral.pk]
