"""Meetings on top of the shared personas: a scheduled meeting in the area with the police, the
IDVA service and children's social care invited, and accepted referrals to list on it."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from meetings import services as meetings
from referrals import services
from referrals.checklists import DASH_2009


def accepted(case, *, referrer, agency, coordinator):
    assessment = services.assessment_start(case=case, by=referrer, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    referral = services.referral_submit(assessment=assessment, by=referrer, agency=agency, consent="given", today=date.today())
    return services.referral_decide(referral=referral, status="accepted", reason="", by=coordinator)


def scheduled(*, area, chair, coordinator, agencies):
    """A meeting in three weeks' time with these agencies invited."""
    return meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=21),
        venue="Room 4, Coalville",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=agencies,
        by=coordinator,
    )


def issued_with_statement_accepted(*, area, chair, coordinator, agencies, rep, rep_agency):
    """A meeting whose agenda (every accepted referral in the area) is issued, and whose
    confidentiality statement `rep` accepted for `rep_agency`."""
    meeting = scheduled(area=area, chair=chair, coordinator=coordinator, agencies=agencies)
    meetings.agenda_build(meeting=meeting, by=coordinator)
    meeting = meetings.agenda_issue(meeting=meeting, by=coordinator)
    meetings.confidentiality_accept(meeting=meeting, user=rep, agency=rep_agency)
    return meeting


@pytest.fixture
def meeting(area, coordinator, chair, police, idva, childrens_services):
    return scheduled(area=area, chair=chair, coordinator=coordinator, agencies=[police, idva, childrens_services])


@pytest.fixture
def listed(meeting, case_a, case_b, referrer, idva, coordinator):
    """Both cases accepted and listed on the meeting's agenda, not yet issued."""
    for case in (case_a, case_b):
        accepted(case, referrer=referrer, agency=idva, coordinator=coordinator)
    meetings.agenda_build(meeting=meeting, by=coordinator)
    meeting.refresh_from_db()
    return meeting


@pytest.fixture
def issued(listed, coordinator):
    return meetings.agenda_issue(meeting=listed, by=coordinator)


@pytest.fixture
def rep_accepted(issued, agency_rep, childrens_services):
    meetings.confidentiality_accept(meeting=issued, user=agency_rep, agency=childrens_services)
    return issued


def on_its_day(meeting):
    """Bring a meeting's day to today: a meeting cannot start before its day, and tests cannot
    wait three weeks. Its time moves to a minute ago; everything else about it stays."""
    from meetings.models import Meeting

    Meeting.objects.filter(pk=meeting.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    meeting.refresh_from_db()
    return meeting


def advance(*, meeting, by):
    """meetings.meeting_advance, on the meeting's day when it is being started."""
    meeting.refresh_from_db()
    if meeting.status == "agenda_issued":
        on_its_day(meeting)
    return meetings.meeting_advance(meeting=meeting, by=by)
