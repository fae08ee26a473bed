"""The NI 32 and data return pages: figures for the person's own areas, a drill-down through the
access rules and the field policy (and logged), and exports after a fresh security code."""

import csv
import io
import subprocess
import time
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command

from audit.models import AccessEvent
from demo.synthetic import Hearing, bulk_hearings
from marac.periods import financial_year_of, quarter_number_of
from marac.reauth import REAUTHENTICATED_AT
from referrals import services
from referrals.models import AgeBand, EthnicGroup, Gender, YesNoNotKnown

TODAY = date.today()
THIS_QUARTER = f"?year={financial_year_of(TODAY)}&quarter={quarter_number_of(TODAY)}"  # the default is the last complete one


@pytest.fixture
def figures(hold, area, idva, police, coordinator):
    area.adult_female_population = 42_000
    area.save()
    meeting = hold(TODAY)
    bulk_hearings(
        meeting=meeting,
        agency=idva,
        by=coordinator,
        hearings=[
            Hearing(repeat_current=True, repeat_ni32=True, children=2, ethnic_group=EthnicGroup.ASIAN),
            Hearing(gender=Gender.MALE, age_band=AgeBand.AGED_16_17, lgbt=YesNoNotKnown.YES, young_perpetrator=True),
            Hearing(ethnic_group=EthnicGroup.NOT_KNOWN, disabled=YesNoNotKnown.YES, age_band=AgeBand.NOT_KNOWN),
        ],
    )
    bulk_hearings(meeting=meeting, agency=police, by=coordinator, hearings=[Hearing()], first_number=4)
    return meeting


def reauthenticated(client):
    session = client.session
    session[REAUTHENTICATED_AT] = time.time()
    session.save()
    return client


def test_the_coordinator_sees_ni32_with_numerator_denominator_and_a_chart(sign_in_fully, coordinator, figures):
    page = sign_in_fully(coordinator).get("/reports/").content.decode()
    # One quarter with cases heard: the chart draws a point, and a line only from two.
    assert "North West Leicestershire" in page and "25.0%" in page and "<svg" in page and "<circle" in page
    assert "The last 8 quarters" in page  # the chart's figures as a table


def test_the_data_return_counts_what_the_quarter_heard(sign_in_fully, coordinator, figures):
    from marac.periods import quarter, rolling_year
    from reports.selectors import data_return

    r = data_return(
        coordinator.memberships.get().area, quarter(financial_year_of(TODAY), quarter_number_of(TODAY)), year_to_date=rolling_year(TODAY)
    )
    assert (r.meetings_held, r.heard, r.ni32.repeats, r.from_partners, r.children) == (1, 4, 1, 3, 2)
    assert (r.minoritised, r.lgbt, r.disabled, r.male, r.aged_16_17, r.young_perpetrators) == (1, 1, 1, 1, 1, 1)
    assert r.per_10000_year == 1.0 and r.share(r.male) == 25.0
    assert r.warnings == ["1 of 4 cases heard have no ethnicity recorded", "1 of 4 cases heard have no age recorded"]
    page = sign_in_fully(coordinator).get("/reports/NWL/data-return/" + THIS_QUARTER).content.decode()
    assert "Data quality" in page and "Perpetrators aged 17 or under" in page


def test_exports_need_a_fresh_code_and_are_logged(sign_in_fully, client, coordinator, figures):
    sign_in_fully(coordinator)
    assert client.get("/reports/NWL/data-return.csv").url.startswith("/account/confirm/")
    reauthenticated(client)
    response = client.get("/reports/NWL/data-return.csv" + THIS_QUARTER)
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Measure", "Number", "Percentage of cases discussed"] and ["Cases discussed", "4", ""] in rows
    assert "Synthetic" not in response.content.decode()
    pdf = client.get("/reports/NWL/data-return.pdf" + THIS_QUARTER)
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout.decode()
    assert "OFFICIAL-SENSITIVE" in text and "Prepared for coordinator" in text and "Cases discussed" in text
    assert AccessEvent.objects.filter(event="export", user=coordinator).count() == 2


def test_the_drill_down_lists_the_repeat_cases_through_the_policy_and_logs_them(sign_in_fully, coordinator, figures):
    response = sign_in_fully(coordinator).get(f"/reports/NWL/repeats/?from={TODAY.replace(day=1)}&to={TODAY}")
    page = response.content.decode()
    assert "Synthetic person 1" in page and "Synthetic person 2" not in page
    assert AccessEvent.objects.filter(event="case_read", user=coordinator, case_reference="NWL-S1", fields=["name"]).exists()


def test_the_drill_down_names_the_repeat_definition_as_written(sign_in_fully, coordinator, figures):
    page = sign_in_fully(coordinator).get(f"/reports/NWL/repeats/?from={TODAY.replace(day=1)}&to={TODAY}").content.decode()
    assert "Current (SafeLives)" in page and "current (safelives)" not in page


@pytest.mark.parametrize("persona", ["unrelated", "referrer", "agency_rep", "auditor"])
def test_the_drill_down_shows_an_unrelated_person_nothing(request, sign_in_fully, figures, persona):
    client = sign_in_fully(request.getfixturevalue(persona))
    for path in ("/reports/NWL/repeats/", "/reports/NWL/data-return/", "/reports/", "/reports/NWL/data-return.csv"):
        response = client.get(path)
        assert response.status_code in (403, 404), path
        assert "Synthetic person" not in response.content.decode()


def test_another_areas_coordinator_gets_404(sign_in_fully, figures, other_area, police):
    from marac.models import Role
    from tests.conftest import make_person

    elsewhere = make_person("cha_coordinator", Role.COORDINATOR, police, other_area)
    assert sign_in_fully(elsewhere).get("/reports/NWL/repeats/").status_code == 404
    assert AccessEvent.objects.filter(event="report_access_denied", user=elsewhere).exists()


@pytest.mark.parametrize(
    "query",
    ["?from=2026-99-01&to=x", "?from=2027-01-01&to=2026-01-01", "?year=abc&quarter=9", "?year=99999999999999999999", "?year=²&quarter=٣"],
)
def test_nonsense_in_the_query_is_ignored_not_a_500(sign_in_fully, coordinator, figures, query):
    client = sign_in_fully(coordinator)
    for path in ("/reports/", "/reports/NWL/repeats/", "/reports/NWL/data-return/"):
        assert client.get(path + query).status_code == 200


def test_the_data_return_defaults_to_the_last_complete_quarter(sign_in_fully, coordinator, figures):
    from reports.views import last_complete_quarter

    due = last_complete_quarter(TODAY)
    page = sign_in_fully(coordinator).get("/reports/NWL/data-return/").content.decode()
    assert f"Quarterly data return: {due.label}" in page and due.end <= TODAY


def test_an_erased_repeat_case_counts_and_is_listed_as_erased_not_a_500(sign_in_fully, hold, idva, coordinator):
    (case,) = bulk_hearings(meeting=hold(TODAY), hearings=[Hearing(repeat_current=True)], agency=idva, by=coordinator)
    services.case_shred(case=case, by=coordinator)
    response = sign_in_fully(coordinator).get(f"/reports/NWL/repeats/?from={TODAY}&to={TODAY}")
    assert response.status_code == 200 and "Erased" in response.content.decode()


def test_a_range_ending_in_year_9999_is_ignored_or_refused(sign_in_fully, coordinator, area):
    assert sign_in_fully(coordinator).get("/reports/NWL/repeats/?from=2020-01-01&to=9999-12-31").status_code == 200
    with pytest.raises(CommandError):
        call_command("ni32", area="NWL", start="2020-01-01", end="9999-12-31")


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
