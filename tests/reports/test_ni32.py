"""NI 32: repeat cases heard / cases heard x 100, per area and across areas, under each repeat
definition, by quarter, financial year and rolling 12 months (DESIGN 2.3)."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from demo.synthetic import Hearing, bulk_hearings
from marac.models import RepeatDefinition
from marac.periods import between, financial_year, financial_year_of, quarter, quarter_of, quarters_to, rolling_year
from meetings.models import AgendaItem
from reports.selectors import Ni32, ni32_across, ni32_by_area, per_10000


def heard(meeting, *, repeats: int, total: int, agency, by, first_number=1, **repeat):
    flags = repeat or {"repeat_current": True, "repeat_ni32": True}
    return bulk_hearings(
        meeting=meeting,
        hearings=[Hearing(**flags)] * repeats + [Hearing()] * (total - repeats),
        agency=agency,
        by=by,
        first_number=first_number,
    )


@pytest.mark.parametrize("repeats, total, expected", [(25, 183, 13.7), (33, 293, 11.3)])
def test_published_council_figures(hold, area, idva, coordinator, repeats, total, expected):
    heard(hold(date(2025, 6, 10)), repeats=repeats, total=total, agency=idva, by=coordinator)
    figure = ni32_by_area(financial_year(2025), [area])[0].own
    assert (figure.repeats, figure.heard, figure.percentage) == (repeats, total, expected)


def test_quarter_and_financial_year_boundaries():
    assert quarter_of(date(2027, 3, 31)) == quarter(2026, 4) and quarter_of(date(2027, 4, 1)) == quarter(2027, 1)
    assert quarter_of(date(2026, 6, 30)) == quarter(2026, 1) and quarter_of(date(2026, 7, 1)) == quarter(2026, 2)
    assert quarter_of(date(2026, 12, 31)) == quarter(2026, 3) and quarter_of(date(2027, 1, 1)) == quarter(2026, 4)
    assert financial_year_of(date(2027, 3, 31)) == 2026 and financial_year_of(date(2027, 4, 1)) == 2027
    assert financial_year(2026).label == "2026/27" and quarter(2026, 4).label == "Q4 2026/27"
    assert [q.label for q in quarters_to(date(2026, 5, 1), 3)] == ["Q3 2025/26", "Q4 2025/26", "Q1 2026/27"]
    rolling = rolling_year(date(2027, 3, 31))
    assert (rolling.start, rolling.end) == (financial_year(2026).start, financial_year(2026).end)


def test_a_hearing_on_the_last_day_of_march_counts_in_the_old_year_and_one_on_the_first_of_april_in_the_new(hold, area, idva, coordinator):
    heard(hold(date(2026, 3, 31)), repeats=1, total=1, agency=idva, by=coordinator)
    heard(hold(date(2026, 4, 1)), repeats=0, total=1, agency=idva, by=coordinator, first_number=2)
    old, new = (ni32_by_area(financial_year(year), [area])[0].own for year in (2025, 2026))
    assert (old.repeats, old.heard, new.repeats, new.heard) == (1, 1, 0, 1)
    assert ni32_by_area(quarter(2025, 4), [area])[0].own == Ni32(1, 1)
    assert ni32_by_area(quarter(2026, 1), [area])[0].own == Ni32(0, 1)


def test_a_case_heard_twice_in_one_period_counts_twice(hold, area, idva, coordinator):
    from meetings.models import AgendaItem, ReferralListing
    from referrals.models import Referral

    (case,) = heard(hold(date(2026, 5, 5)), repeats=0, total=1, agency=idva, by=coordinator)
    again = hold(date(2026, 6, 2))
    from referrals.models import RiskAssessment

    # One referral per checklist: the repeat referral comes from a new checklist.
    assessment = RiskAssessment(
        case=case,
        checklist_version="dash-2009",
        answers={},
        score=14,
        status="complete",
        assessed_by=coordinator,
        assessed_on=date(2026, 5, 20),
    )
    assessment.save()
    repeat = Referral(
        case=case,
        assessment=assessment,
        criteria=["repeat"],
        referring_agency=idva,
        referred_by=coordinator,
        consent="given",
        status="accepted",
        repeat_current=True,
        repeat_ni32=True,
    )
    repeat.save()
    ReferralListing.objects.create(referral=repeat, meeting=again)
    AgendaItem.objects.create(
        meeting=again, case=case, referral=repeat, section=2, position=1, added_because="made_cutoff", added_by=coordinator
    )
    assert ni32_by_area(quarter(2026, 1), [area])[0].own == Ni32(1, 2)


def test_a_repeat_under_one_definition_but_not_the_other(hold, area, idva, coordinator):
    area.repeat_definition = RepeatDefinition.NI32_2008
    area.save()
    heard(hold(date(2026, 5, 5)), repeats=1, total=2, agency=idva, by=coordinator, repeat_current=True, repeat_ni32=False)
    row = ni32_by_area(financial_year(2026), [area])[0]
    assert row.own == Ni32(0, 2) and row.other == Ni32(1, 2) and row.other.percentage == 50.0


def test_an_area_with_no_cases_divides_by_nothing(area, other_area):
    rows = ni32_by_area(financial_year(2026), [area, other_area])
    assert [row.own for row in rows] == [Ni32(0, 0), Ni32(0, 0)] and rows[0].own.percentage is None
    assert ni32_across(rows).percentage is None and per_10000(0, None) is None


def test_across_areas_each_area_counts_under_its_own_definition(hold, area, other_area, idva, coordinator):
    other_area.repeat_definition = RepeatDefinition.NI32_2008
    other_area.save()
    heard(hold(date(2026, 5, 5)), repeats=1, total=2, agency=idva, by=coordinator, repeat_current=True, repeat_ni32=False)
    heard(
        hold(date(2026, 5, 6), other_area),
        repeats=1,
        total=2,
        agency=idva,
        by=coordinator,
        first_number=3,
        repeat_current=True,
        repeat_ni32=False,
    )
    assert ni32_across(ni32_by_area(financial_year(2026), [area, other_area])) == Ni32(1, 4)


def test_cases_per_10000_adult_women():
    assert per_10000(42, 42_000) == 10.0 and per_10000(168, 42_000) == 40.0 and per_10000(42, 42_000, years=0.25) == 40.0


def test_rolling_12_months(hold, area, idva, coordinator):
    heard(hold(date(2025, 11, 20)), repeats=1, total=1, agency=idva, by=coordinator)  # just outside
    heard(hold(date(2025, 11, 22)), repeats=0, total=1, agency=idva, by=coordinator, first_number=2)
    assert ni32_by_area(rolling_year(date(2026, 11, 21)), [area])[0].own == Ni32(0, 1)
    assert rolling_year(date(2026, 11, 21)).start == date(2025, 11, 22)


def test_the_command_prints_numerator_denominator_and_percentage(hold, area, idva, coordinator):
    heard(hold(date(2025, 6, 10)), repeats=25, total=183, agency=idva, by=coordinator)
    out = StringIO()
    call_command("ni32", area="NWL", start="2025-04-01", end="2026-03-31", stdout=out)
    assert out.getvalue().strip() == "NWL 2025-04-01 to 2026-03-31: 25 repeat cases of 183 heard = 13.7%"
    out = StringIO()
    call_command("ni32", "--json", area="NWL", start="2025-04-01", end="2026-03-31", stdout=out)
    assert json.loads(out.getvalue()) == {
        "area": "NWL",
        "from": "2025-04-01",
        "to": "2026-03-31",
        "definition": "current",
        "numerator": 25,
        "denominator": 183,
        "percentage": 13.7,
    }


@pytest.mark.parametrize(
    "args, message",
    [
        ({"area": "ZZZ", "start": "2025-04-01", "end": "2026-03-31"}, "No MARAC area"),
        ({"area": "NWL", "start": "2025-13-01", "end": "2026-03-31"}, "is not a date"),
        ({"area": "NWL", "start": "2026-04-01", "end": "2025-03-31"}, "before --from"),
    ],
)
def test_the_command_refuses_bad_input_clearly(area, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("ni32", **args)


def test_meetings_not_held_and_cases_taken_off_do_not_count(hold, area, idva, coordinator):
    from django.utils import timezone

    from meetings.models import Meeting

    scheduled = hold(date(2026, 5, 5))
    Meeting.objects.filter(pk=scheduled.pk).update(status=Meeting.Status.AGENDA_ISSUED)
    heard(scheduled, repeats=1, total=1, agency=idva, by=coordinator)
    held = hold(date(2026, 5, 6))
    (case,) = heard(held, repeats=1, total=1, agency=idva, by=coordinator, first_number=2)
    held.agenda_items.filter(case=case).update(removed_at=timezone.now(), removed_because="added_in_error")
    assert ni32_by_area(between(date(2026, 4, 1), date(2026, 6, 30)), [area])[0].own == Ni32(0, 0)


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


def test_the_rolling_year_is_365_days_or_366_across_a_29_february():
    assert (rolling_year(date(2028, 2, 28)).end - rolling_year(date(2028, 2, 28)).start).days == 365
    assert (rolling_year(date(2028, 3, 31)).end - rolling_year(date(2028, 3, 31)).start).days == 366
    assert rolling_year(date(2027, 3, 31)).start == financial_year(2026).start
