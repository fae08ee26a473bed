"""Every area's data return at once (reports.selectors.data_returns): grouped by area, each area's
figures are those it has asked for alone (data_return), in a fixed number of grouped queries
however many areas there are."""

from datetime import date, timedelta

from django.utils import timezone

from demo.synthetic import Hearing, bulk_hearings
from marac.models import MaracArea, RepeatDefinition
from marac.periods import rolling_year
from meetings.models import AgendaItem
from referrals.models import AgeBand, EthnicGroup, Gender, HouseholdMember, YesNoNotKnown
from reports.selectors import data_return, data_returns

TODAY = date.today()
MIXED = [
    Hearing(repeat_current=True, repeat_ni32=True, children=2, young_perpetrator=True),
    Hearing(repeat_current=True, gender=Gender.MALE, ethnic_group=EthnicGroup.ASIAN, lgbt=YesNoNotKnown.YES),
    Hearing(disabled=YesNoNotKnown.YES, age_band=AgeBand.AGED_16_17, children=1),
    Hearing(gender=Gender.NOT_KNOWN, ethnic_group=EthnicGroup.NOT_KNOWN, lgbt=YesNoNotKnown.NOT_KNOWN, age_band=AgeBand.NOT_KNOWN),
]


def _areas_with_hearings(hold, area, other_area, idva, police, coordinator):
    other_area.repeat_definition = RepeatDefinition.NI32_2008
    other_area.adult_female_population = 50_000
    other_area.save()
    area.adult_female_population = 40_000
    area.save()
    empty = MaracArea.objects.create(name="Hinckley and Bosworth", short_code="HAB")
    here = bulk_hearings(meeting=hold(TODAY - timedelta(days=10)), hearings=MIXED, agency=idva, by=coordinator)
    bulk_hearings(meeting=hold(TODAY - timedelta(days=40)), hearings=MIXED[:2], agency=police, by=coordinator, first_number=50)
    there = bulk_hearings(
        meeting=hold(TODAY - timedelta(days=20), other_area), hearings=MIXED[::-1], agency=police, by=coordinator, first_number=100
    )
    # A hearing taken off, a review and a listing without a referral: each counted (or not) alike.
    AgendaItem.objects.filter(case=here[3]).update(removed_at=timezone.now(), removed_because=AgendaItem.RemovedBecause.DEFERRED)
    AgendaItem.objects.filter(case=there[0]).update(added_because=AgendaItem.AddedBecause.REVIEW)
    AgendaItem.objects.filter(case=there[1]).update(referral=None)
    HouseholdMember.objects.filter(case=here[0]).update(encompass_notified_at=timezone.now())
    return [area, other_area, empty]


def test_every_areas_return_matches_the_one_area_return(hold, area, other_area, idva, police, coordinator):
    areas = _areas_with_hearings(hold, area, other_area, idva, police, coordinator)
    period = rolling_year(TODAY)
    together = data_returns(areas, period, year_to_date=period)
    one_by_one = [data_return(a, period, year_to_date=period) for a in areas]
    assert together == one_by_one
    # Not equal by being empty: the figures the test builds are there.
    assert [r.heard for r in together] == [5, 3, 0]
    assert (together[0].children, together[0].children_school_told, together[0].young_perpetrators) == (5, 2, 2)
    assert together[1].ni32.repeats == 1  # NI 32 (2008) in the other area, not the current definition


def test_a_quarter_takes_the_meetings_in_it_only(hold, area, other_area, idva, police, coordinator):
    areas = _areas_with_hearings(hold, area, other_area, idva, police, coordinator)
    period = rolling_year(TODAY - timedelta(days=30))  # ends before the meetings of the last 30 days
    assert data_returns(areas, period, year_to_date=period) == [data_return(a, period, year_to_date=period) for a in areas]
    assert data_returns(areas, period, year_to_date=period)[0].meetings_held == 1


def test_it_takes_six_queries_however_many_areas(hold, area, other_area, idva, police, coordinator, django_assert_num_queries):
    areas = _areas_with_hearings(hold, area, other_area, idva, police, coordinator)
    areas += [MaracArea.objects.create(name=f"Area {n}", short_code=f"A{n}") for n in range(10)]
    with django_assert_num_queries(6):
        data_returns(areas, rolling_year(TODAY), year_to_date=rolling_year(TODAY))
