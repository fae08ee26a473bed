"""The case page is the one place for a case (issue 16): the current risk level and band, the
referrals with their decisions, incidents and which repeat definition each meets, the repeat
flag, the checklists, the next meeting and a chronology, all through the field policy, every
field shown logged, in a number of queries that does not grow with the case."""

from datetime import date, timedelta

import pytest
from django.test import Client

from audit.models import AccessEvent
from marac.models import Role
from referrals import services
from referrals.checklists import DASH_2009, Band
from referrals.models import Referral
from tests.conftest import grant_hearing, make_case, make_person, sign_in_with_both_factors

TODAY = date.today()
ALL_YES = {q.id: {"answer": "yes"} for q in DASH_2009.questions}


def refer(case, by, agency, *, on, answers=ALL_YES):
    assessment = services.assessment_start(case=case, by=by, on=on)
    services.assessment_answer(assessment=assessment, answers=answers, by=by)
    return services.referral_submit(assessment=assessment, by=by, agency=agency, consent="given", today=on)


def incident(case, by, agency, *, days_ago, kind, summary="", police_callout=False):
    return services.incident_record(
        case=case,
        occurred_on=TODAY - timedelta(days=days_ago),
        kind=kind,
        police_callout=police_callout,
        agency=agency,
        by=by,
        summary=summary,
        today=TODAY,
    )[0]


@pytest.fixture
def full_case(case_a, referrer, coordinator, idva):
    """Referred 30 days ago and accepted; an incident before it and two after; a draft checklist."""
    incident(case_a, referrer, idva, days_ago=40, kind="violence", summary="Pushed down the stairs")
    referral = refer(case_a, referrer, idva, on=TODAY - timedelta(days=30))
    services.referral_decide(referral=referral, status=Referral.Status.ACCEPTED, reason="", by=coordinator)
    incident(case_a, referrer, idva, days_ago=10, kind="unwanted_contact", summary="Texts at 3am")
    incident(case_a, referrer, idva, days_ago=5, kind="violence", summary="Slapped at the school gate")
    services.assessment_start(case=case_a, by=referrer, on=TODAY)
    return case_a


def page_of(client, case) -> str:
    response = client.get(f"/cases/{case.reference}/")
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, heading: str) -> str:
    start = page.index(f">{heading}</h2>")
    return page[start : page.find("<h2", start + 1)]


def test_the_coordinator_sees_risk_referrals_incidents_checklists_and_the_repeat_flag(sign_in_fully, coordinator, full_case):
    page = page_of(sign_in_fully(coordinator), full_case)
    summary = section(page, "Summary")
    assert "High" in summary and "score 24, high" in summary
    assert "Repeat</strong>" in summary and "refer the case to MARAC again" in summary
    referrals = section(page, "Referrals")
    assert "Accepted by coordinator" in referrals and "Visible high risk" in referrals
    incidents = section(page, "Incidents")
    assert "Texts at 3am" in incidents and "Slapped at the school gate" in incidents and "Pushed down the stairs" in incidents
    # Unwanted contact is a repeat under the current definition only; violence under both; the
    # incident before the referral under neither.
    rows = incidents.split('<tr class="govuk-table__row">')[2:]
    assert "Unwanted contact" in rows[1] and ">Current (SafeLives)<" in rows[1]
    assert "Physical violence" in rows[0] and "Current (SafeLives), NI 32 (2008)" in rows[0]
    assert "Pushed down the stairs" in rows[2] and ">Neither<" in rows[2]
    checklists = section(page, "Risk checklists")
    assert checklists.count("/checklists/") == 2 and "Draft" in checklists and "Complete" in checklists


def test_professional_judgement_raises_the_level_shown(sign_in_fully, coordinator, referrer, idva, case_a):
    assessment = services.assessment_start(case=case_a, by=referrer, on=TODAY)
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "no"} for q in DASH_2009.questions}, by=referrer)
    services.assessment_override(assessment=assessment, band=Band.HIGH, rationale="Threats to kill", by=referrer)
    services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", judgement=True, today=TODAY)
    summary = section(page_of(sign_in_fully(coordinator), case_a), "Summary")
    assert "High</strong>" in summary and "score 0, standard, raised by professional judgement" in summary
    assert "Threats to kill" not in summary  # the rationale is the checklist's, read on its own page


def test_the_next_meeting_and_the_chronology_come_in_order(sign_in_fully, coordinator, agency_rep, full_case):
    grant_hearing(agency_rep, full_case)  # schedules a meeting 20 days ahead with the case on its agenda
    page = page_of(sign_in_fully(coordinator), full_case)
    meeting_day = TODAY + timedelta(days=20)
    assert f"{meeting_day.day} {meeting_day:%B %Y}, North West Leicestershire (on the agenda)" in section(page, "Summary")
    chronology = section(page, "Chronology")
    # By when things happened, not when they were typed in: the incident before the referral was
    # recorded today, on a case opened today, but happened 40 days ago.
    order = ["Incident recorded by", "Referred to MARAC by Loughborough", "Case opened", "Referral accepted by coordinator"]
    positions = [chronology.index(text) for text in order]
    assert positions == sorted(positions)


def test_every_field_shown_is_logged_for_the_case(sign_in_fully, coordinator, referrer, idva, case_a):
    referral = refer(case_a, referrer, idva, on=TODAY)
    services.referral_decide(referral=referral, status=Referral.Status.MORE_INFO, reason="Which school?", by=coordinator)
    incident(case_a, referrer, idva, days_ago=1, kind="breach", summary="Broke the order")
    page = page_of(sign_in_fully(coordinator), case_a)
    assert "Which school?" in page and "Broke the order" in page and "Flat 2, 9 Ashby Road" in page
    fields = set(AccessEvent.objects.filter(user=coordinator, purpose="view case", case_reference=case_a.reference).latest("pk").fields)
    assert {"name", "safe_address", "message.text", "incident.summary", "incident.kind", "assessment.score"} <= fields


def test_a_meeting_representative_sees_the_risk_and_incidents_but_not_decisions(
    sign_in_fully, agency_rep, coordinator, referrer, idva, case_a
):
    referral = refer(case_a, referrer, idva, on=TODAY - timedelta(days=3))
    services.referral_decide(referral=referral, status=Referral.Status.DECLINED, reason="Below threshold, per the chair", by=coordinator)
    incident(case_a, referrer, idva, days_ago=1, kind="threats", summary="Said he would burn the house")
    grant_hearing(agency_rep, case_a)
    page = page_of(sign_in_fully(agency_rep), case_a)
    assert "Said he would burn the house" in page and "score 24" in page
    assert "Below threshold" not in page and "Withheld" in section(page, "Referrals")
    assert "Flat 2, 9 Ashby Road" not in page
    assert "Close the case" not in page and "/checklists/" not in section(page, "Risk checklists")


def test_the_auditor_sees_that_records_exist_but_not_what_they_say(sign_in_fully, auditor, full_case):
    page = page_of(sign_in_fully(auditor), full_case)
    assert "Sarah Mitchell" not in page and "Texts at 3am" not in page
    assert "Unwanted contact" not in page and "score 24" not in page and "Visible high risk" not in page
    assert "Withheld" in section(page, "Summary") and "Withheld" in section(page, "Incidents")
    assert "Incident recorded by Loughborough Women&#x27;s Aid" in section(page, "Chronology")
    assert "Record an incident" not in page and "Close the case" not in page


@pytest.mark.parametrize("persona", ["unrelated", "agency_rep", "other_coordinator"])
def test_people_without_a_tie_to_the_case_get_404_and_it_is_logged(request, sign_in_fully, full_case, other_area, police, persona):
    if persona == "other_coordinator":
        person = make_person("other_coordinator", Role.COORDINATOR, police, other_area)
    else:
        person = request.getfixturevalue(persona)
    assert sign_in_fully(person).get(f"/cases/{full_case.reference}/").status_code == 404
    assert AccessEvent.objects.filter(user=person, outcome="denied", case_reference=full_case.reference).exists()


def test_an_erased_case_shows_only_its_reference(sign_in_fully, coordinator, full_case):
    services.case_shred(case=full_case, by=coordinator)
    page = page_of(sign_in_fully(coordinator), full_case)
    assert "records were erased" in page and "Texts at 3am" not in page


def test_the_case_page_costs_the_same_queries_for_a_small_or_a_long_case(django_assert_max_num_queries, coordinator, referrer, idva, area):
    def long_case(name: str, times: int):
        case = make_case(area, idva, referrer, name=name)
        for n in range(times):
            referral = refer(case, referrer, idva, on=TODAY - timedelta(days=200 - n * 20))
            services.referral_decide(referral=referral, status=Referral.Status.MORE_INFO, reason=f"Question {n}", by=coordinator)
            services.referral_resubmit(referral=referral, by=referrer, reply=f"Answer {n}")
            services.referral_decide(referral=referral, status=Referral.Status.DECLINED, reason=f"Declined {n}", by=coordinator)
            incident(case, referrer, idva, days_ago=190 - n * 20, kind="violence", summary=f"Incident {n}")
            services.perpetrator_add(case=case, details={"name": f"P {n}", "relationship_to_victim": "partner"}, by=referrer, today=TODAY)
        return case

    small, large = long_case("Small Case", 1), long_case("Long Case", 6)
    client = sign_in_with_both_factors(Client(), coordinator)
    client.get(f"/cases/{small.reference}/")  # warm the session and caches alike
    counts = {}
    for case in (small, large):
        with django_assert_max_num_queries(40) as captured:
            page = page_of(client, case)
        counts[case.reference] = len(captured)
        assert "Declined" in page
    assert counts[small.reference] == counts[large.reference], counts


def test_once_the_repeat_is_referred_the_flag_says_so_instead_of_asking_again(sign_in_fully, coordinator, referrer, idva, full_case):
    refer(full_case, referrer, idva, on=TODAY)  # the repeat referral the flag asked for
    summary = section(page_of(sign_in_fully(coordinator), full_case), "Summary")
    assert "refer the case to MARAC again" not in summary
    assert "was made as a repeat (Current (SafeLives) and NI 32 (2008)); no further incident since" in summary


def police_called_cell(page: str) -> str:
    """The "Police called" cell of the only incident (the third column)."""
    row = section(page, "Incidents").split('<tr class="govuk-table__row">')[2]
    return row.split('<td class="govuk-table__cell">')[3]


@pytest.mark.parametrize("persona", ["coordinator", "agency_rep"])
def test_whether_the_police_were_called_is_shown_to_the_meeting_and_logged(request, sign_in_fully, referrer, idva, case_a, persona):
    incident(case_a, referrer, idva, days_ago=2, kind="violence", summary="Neighbour called 999", police_callout=True)
    person = request.getfixturevalue(persona)
    if persona == "agency_rep":
        grant_hearing(person, case_a)
    page = page_of(sign_in_fully(person), case_a)
    assert police_called_cell(page).startswith("Yes")
    fields = AccessEvent.objects.filter(user=person, purpose="view case", case_reference=case_a.reference).latest("pk").fields
    assert {"incident.kind", "incident.police_callout"} <= set(fields)


def test_the_auditor_is_not_told_whether_the_police_were_called(sign_in_fully, auditor, referrer, idva, case_a):
    incident(case_a, referrer, idva, days_ago=2, kind="violence", summary="Neighbour called 999", police_callout=True)
    page = page_of(sign_in_fully(auditor), case_a)
    cell = police_called_cell(page)
    assert "Withheld" in cell and "Yes" not in cell and "No" not in cell
    fields = AccessEvent.objects.filter(user=auditor, purpose="view case", case_reference=case_a.reference).latest("pk").fields
    assert "incident.police_callout" not in fields and "incident.kind" not in fields


def test_the_case_opened_comes_first_on_its_day_before_lines_with_no_time(sign_in_fully, coordinator, referrer, idva, case_a):
    """An incident and a referral of the day the case was opened have a date and no time: they
    still come after the case was opened, and the decision (timed) after them."""
    incident(case_a, referrer, idva, days_ago=0, kind="violence", summary="Today")
    referral = refer(case_a, referrer, idva, on=TODAY)
    services.referral_decide(referral=referral, status=Referral.Status.ACCEPTED, reason="", by=coordinator)
    chronology = section(page_of(sign_in_fully(coordinator), case_a), "Chronology")
    opened, decided = chronology.index("Case opened"), chronology.index("Referral accepted by coordinator")
    for untimed in ("Incident recorded by", "Referred to MARAC by", "Risk checklist started by"):
        assert opened < chronology.index(untimed) < decided, untimed
