"""Problems found in review of NI 32 and the data return, each held off by a test."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AccessEvent
from demo.synthetic import Hearing, bulk_hearings
from marac.periods import financial_year, quarter, rolling_year
from meetings.models import AgendaItem
from referrals import services
from referrals.checklists import DASH_2009
from referrals.models import Referral, Victim
from reports.selectors import Ni32, data_return, ni32_by_area
from tests.conftest import make_case

TODAY = date.today()


def test_an_erased_repeat_case_counts_and_is_listed_as_erased_not_a_500(sign_in_fully, hold, idva, coordinator):
    (case,) = bulk_hearings(meeting=hold(TODAY), hearings=[Hearing(repeat_current=True)], agency=idva, by=coordinator)
    services.case_shred(case=case, by=coordinator)
    response = sign_in_fully(coordinator).get(f"/reports/NWL/repeats/?from={TODAY}&to={TODAY}")
    assert response.status_code == 200 and "Erased" in response.content.decode()


def test_a_range_ending_in_year_9999_is_ignored_or_refused(sign_in_fully, coordinator, area):
    assert sign_in_fully(coordinator).get("/reports/NWL/repeats/?from=2020-01-01&to=9999-12-31").status_code == 200
    with pytest.raises(CommandError):
        call_command("ni32", area="NWL", start="2020-01-01", end="9999-12-31")


def test_a_review_of_a_case_already_heard_is_not_counted_again(hold, area, idva, coordinator):
    (case,) = bulk_hearings(meeting=hold(date(2026, 5, 5)), hearings=[Hearing(repeat_current=True)], agency=idva, by=coordinator)
    AgendaItem.objects.create(
        meeting=hold(date(2026, 6, 2)),
        case=case,
        referral=case.referrals.get(),
        section=2,
        position=1,
        added_because=AgendaItem.AddedBecause.REVIEW,
        added_by=coordinator,
    )
    assert ni32_by_area(quarter(2026, 1), [area])[0].own == Ni32(1, 1)


def test_cases_listed_without_a_referral_are_not_counted_as_from_partners(hold, area, idva, coordinator):
    meeting = hold(TODAY)
    (case,) = bulk_hearings(meeting=meeting, hearings=[Hearing()], agency=idva, by=coordinator)
    AgendaItem.objects.filter(case=case).update(referral=None)
    r = data_return(area, rolling_year(TODAY), year_to_date=rolling_year(TODAY))
    assert (r.heard, r.from_partners) == (1, 0) and any("referral" in w for w in r.warnings)


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


def test_the_trend_rate_counts_only_areas_whose_population_is_known(sign_in_fully, hold, area, other_area, police, idva, coordinator):
    from marac.models import Membership, Role
    from reports.views import _trend

    area.adult_female_population = 10_000
    area.save()
    day = TODAY - timedelta(days=100)
    bulk_hearings(meeting=hold(day), hearings=[Hearing()] * 10, agency=idva, by=coordinator)
    bulk_hearings(meeting=hold(day, other_area), hearings=[Hearing()] * 90, agency=idva, by=coordinator, first_number=11)
    Membership.objects.create(user=coordinator, agency=police, area=other_area, role=Role.COORDINATOR)
    rows = _trend([area, other_area], TODAY)["rows"]
    assert 39 <= max(rate for _, _, rate in rows if rate) <= 41  # 10 cases in a quarter of 10,000 women; 400 if the other area counted


def test_refusing_the_reports_is_logged(sign_in_fully, referrer):
    assert sign_in_fully(referrer).get("/reports/").status_code == 403
    assert AccessEvent.objects.filter(event="report_access_denied", user=referrer).exists()


def test_the_rolling_year_is_365_days_or_366_across_a_29_february():
    assert (rolling_year(date(2028, 2, 28)).end - rolling_year(date(2028, 2, 28)).start).days == 365
    assert (rolling_year(date(2028, 3, 31)).end - rolling_year(date(2028, 3, 31)).start).days == 366
    assert rolling_year(date(2027, 3, 31)).start == financial_year(2026).start


def test_recompute_fills_in_flags_and_age_bands_for_records_made_before_they_existed(case_a, referrer, idva):
    refer(case_a, referrer, idva, date(2026, 1, 10))
    services.incident_record(
        case=case_a, occurred_on=date(2026, 2, 1), kind="threats", police_callout=False, agency=idva, by=referrer, today=date(2026, 2, 1)
    )
    later = refer(case_a, referrer, idva, date(2026, 3, 1))
    Referral.objects.filter(pk=later.pk).update(repeat_current=False, repeat_ni32=False)
    Victim.objects.filter(case=case_a).update(age_band="not_known")
    out = StringIO()
    call_command("recompute_data_return", stdout=out)
    later.refresh_from_db()
    assert later.repeat_current and later.repeat_ni32
    assert Victim.objects.get(case=case_a).age_band == "18_plus"
    assert "Changed 1 referrals' repeat flags and 1 victims' age bands." in out.getvalue()
