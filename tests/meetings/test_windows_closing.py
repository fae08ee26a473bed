"""The meeting page's "Repeat windows closing" list (meetings.selectors.windows_closing) follows
the rules' 12-month window and the referrals that count (referrals.rules, referrals.selectors),
so it lists the same cases the coordinator's home page counts and links to it from."""

from datetime import timedelta

from django.utils import timezone

from marac.periods import add_months
from meetings.selectors import windows_closing
from referrals import services
from referrals.checklists import DASH_2009
from referrals.models import Referral


def referred(case, *, on, referrer, agency):
    assessment = services.assessment_start(case=case, by=referrer, on=on)
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    return services.referral_submit(assessment=assessment, by=referrer, agency=agency, consent="given", today=on)


def test_a_window_closing_after_the_meeting_is_listed_with_its_12_month_end(meeting, case_a, referrer, idva):
    day = timezone.localtime(meeting.starts_at).date()
    last = add_months(day + timedelta(days=10), -12)
    referred(case_a, on=last, referrer=referrer, agency=idva)
    [window] = windows_closing(meeting)
    assert (window.reference, window.last_referral, window.closes_on) == (case_a.reference, last, add_months(last, 12))


def test_a_withdrawn_referral_opens_no_window(meeting, case_a, referrer, idva):
    day = timezone.localtime(meeting.starts_at).date()
    referral = referred(case_a, on=add_months(day + timedelta(days=10), -12), referrer=referrer, agency=idva)
    Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.WITHDRAWN)
    assert windows_closing(meeting) == []


def test_a_window_already_closed_or_closing_after_four_weeks_is_not_listed(meeting, case_a, case_b, referrer, idva):
    day = timezone.localtime(meeting.starts_at).date()
    referred(case_a, on=add_months(day - timedelta(days=1), -12), referrer=referrer, agency=idva)
    referred(case_b, on=add_months(day + timedelta(days=29), -12), referrer=referrer, agency=idva)
    assert windows_closing(meeting) == []
