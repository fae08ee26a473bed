"""Repeat referrals (DESIGN 2.3) found among stored referrals: a referral within 12 months of the
last, in this area or another, is a repeat; one after more than 12 months is not."""

from datetime import date, timedelta

from referrals import services
from referrals.checklists import DASH_2009
from tests.conftest import make_case

TODAY = date.today()


def refer(case, by, agency, on):
    assessment = services.assessment_start(case=case, by=by, on=on)
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=by)
    return services.referral_submit(assessment=assessment, by=by, agency=agency, consent="given", today=on)


def test_a_victim_referred_in_another_area_within_12_months_makes_a_repeat(area, other_area, idva, referrer, unrelated):
    born = date(1990, 2, 3)
    refer(make_case(other_area, idva, unrelated, name="Dana Hill", date_of_birth=born), unrelated, idva, TODAY - timedelta(days=40))
    here = refer(make_case(area, idva, referrer, name="Dana Hill", date_of_birth=born), referrer, idva, TODAY)
    assert here.repeat_current and here.repeat_ni32 and "repeat" in here.criteria


def test_a_referral_more_than_12_months_after_the_last_is_not_a_repeat(case_a, referrer, idva):
    first = date(2025, 1, 10)
    refer(case_a, referrer, idva, first)
    services.incident_record(
        case=case_a, occurred_on=date(2025, 3, 1), kind="violence", police_callout=True, agency=idva, by=referrer, today=date(2025, 3, 1)
    )
    later = refer(case_a, referrer, idva, date(2026, 6, 1))
    assert not later.repeat_current and not later.repeat_ni32
