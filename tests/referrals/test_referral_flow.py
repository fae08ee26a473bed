"""The outreach worker's and coordinator's path through the pages, and its hostile twin."""

import re
from datetime import UTC, date

import pytest
from django.test import Client

from referrals import services
from referrals.checklists import DASH_2009
from referrals.forms import QUESTIONS_PER_STEP
from referrals.models import Case, Incident, Referral, RiskAssessment
from tests.conftest import grant_hearing, sign_in_with_both_factors


def start(client, **overrides):
    data = {
        "area": str(client.membership_pk),
        "name": "Leanne Hart",
        "date_of_birth_day": "4",
        "date_of_birth_month": "5",
        "date_of_birth_year": "1990",
        "address": "5 Hotel Street, Coalville",
        **overrides,
    }
    return client.post("/cases/new-checklist/", data)


@pytest.fixture
def worker(referrer, sign_in_fully):
    client = sign_in_fully(referrer)
    client.membership_pk = referrer.memberships.get().pk
    return client


def step_answers(step: int, answer: str = "yes") -> dict:
    questions = DASH_2009.questions[(step - 1) * QUESTIONS_PER_STEP : step * QUESTIONS_PER_STEP]
    return {q.id: answer for q in questions} | {f"{q.id}_note": "" for q in questions}


def answer_all(client, url_base: str, yes_steps: int) -> None:
    for step in range(1, 5):
        client.post(f"{url_base}step-{step}/", step_answers(step, "yes" if step <= yes_steps else "no"))


def test_the_outreach_worker_checklists_refers_and_the_coordinator_accepts(worker, sign_in_fully, coordinator):
    response = start(worker)
    assert response.status_code == 302 and response.url.endswith("/step-1/")
    base = response.url.removesuffix("step-1/")
    answer_all(worker, base, yes_steps=3)  # 18 yes
    summary = worker.get(base).content.decode()
    assert "Score 18 of 24" in summary and "High risk" in summary and "Visible high risk" in summary

    assert worker.post(f"{base}refer/", {"consent": "given"}).url == "/referrals/"
    mine = worker.get("/referrals/").content.decode()
    assert "Leanne Hart" in mine and "Submitted" in mine

    coordinator_client = sign_in_with_both_factors(Client(), coordinator)
    queue = coordinator_client.get("/referrals/triage/").content.decode()
    assert "Leanne Hart" in queue and "Visible high risk" in queue
    referral = Referral.objects.get()
    response = coordinator_client.post(f"/referrals/{referral.pk}/decision/", {"decision": "accept"})
    assert response.url == "/referrals/triage/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED and referral.decided_by == coordinator


def test_a_draft_survives_signing_out_and_in(worker, referrer, client):
    base = start(worker).url.removesuffix("step-1/")
    worker.post(f"{base}step-1/", {"injury": "yes", "injury_note": "bruised arm", "save_and_leave": "1"})
    worker.post("/sign-out/")
    again = sign_in_with_both_factors(client, referrer)
    assert "Leanne Hart" in again.get("/referrals/").content.decode()
    page = again.get(f"{base}step-1/").content.decode()
    assert re.search(r'name="injury"[^>]*value="yes"[^>]*checked|value="yes"[^>]*name="injury"[^>]*checked', page)
    assert "bruised arm" in page


def test_declining_needs_a_reason_and_the_declined_referral_is_kept(case_a, referrer, idva, coordinator, sign_in_fully):
    assessment = services.assessment_start(case=case_a, by=referrer, on=date(2026, 11, 1))
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    referral = services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=date(2026, 11, 1))
    client = sign_in_fully(coordinator)
    response = client.post(f"/referrals/{referral.pk}/decision/", {"decision": "decline", "reason": ""})
    assert response.status_code == 200 and "Give the reason for declining" in response.content.decode()
    client.post(f"/referrals/{referral.pk}/decision/", {"decision": "decline", "reason": "Not known to any agency"})
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DECLINED and referral.decision_reason == "Not known to any agency"
    again = client.post(f"/referrals/{referral.pk}/decision/", {"decision": "accept"})
    assert "already been decided" in again.content.decode()


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"name": ""}, "Enter the victim&#x27;s name"),
        ({"name": "x" * 201}, "at most 200 characters"),
        ({"date_of_birth_year": "2090"}, "today or in the past"),
        ({"date_of_birth_day": "31", "date_of_birth_month": "2"}, "must be a real date"),
        ({"date_of_birth_year": "1850"}, "after 1900"),
        ({"area": "999999"}, "Select a valid choice"),
    ],
)
def test_starting_refuses_bad_input_and_keeps_what_was_typed(worker, overrides, message):
    response = start(worker, **{"address": "<script>alert(1)</script>", **overrides})
    html = response.content.decode()
    assert response.status_code == 200 and message in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert not Case.objects.exists()


def test_steps_refuse_bad_answers_and_oversize_notes(worker):
    base = start(worker).url.removesuffix("step-1/")
    response = worker.post(f"{base}step-1/", {"injury": "definitely", "frightened_note": "n" * 2001})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode() and "at most 2000 characters" in response.content.decode()
    assert RiskAssessment.objects.get().answers == {}
    assert worker.get(f"{base}step-5/").status_code == 404


def test_referral_needs_every_answer_and_a_reason_without_consent(worker):
    base = start(worker).url.removesuffix("step-1/")
    worker.post(f"{base}step-1/", step_answers(1))
    assert "Answer every question first" in worker.get(f"{base}refer/").content.decode()
    assert worker.post(f"{base}refer/", {"consent": "given"}).status_code == 200
    answer_all(worker, base, yes_steps=3)
    response = worker.post(f"{base}refer/", {"consent": "without", "without_consent_reason": ""})
    assert "without the victim&#x27;s consent" in response.content.decode()
    assert not Referral.objects.exists()


def test_judgement_cannot_lower_and_needs_a_reason(worker):
    base = start(worker).url.removesuffix("step-1/")
    answer_all(worker, base, yes_steps=2)  # 12: medium
    response = worker.post(f"{base}judgement/", {"level": "standard", "rationale": "Calmer"})
    assert "Select a valid choice" in response.content.decode()
    response = worker.post(f"{base}judgement/", {"level": "high", "rationale": ""})
    assert "Explain your judgement" in response.content.decode()
    worker.post(f"{base}judgement/", {"level": "high", "rationale": "Strangulation last week"})
    assert "raised to high by professional judgement" in worker.get(base).content.decode()


@pytest.mark.parametrize(
    "data,message",
    [
        ({"occurred_on_day": "1", "occurred_on_month": "1", "occurred_on_year": "2099", "kind": "violence"}, "today or in the past"),
        ({"occurred_on_day": "1", "occurred_on_month": "1", "occurred_on_year": "2026", "kind": "arson"}, "Select a valid choice"),
        (
            {"occurred_on_day": "1", "occurred_on_month": "1", "occurred_on_year": "2026", "kind": "violence", "summary": "s" * 2001},
            "at most 2000",
        ),
    ],
)
def test_incidents_refuse_bad_input(sign_in_fully, referrer, case_a, data, message):
    response = sign_in_fully(referrer).post(f"/cases/{case_a.reference}/incidents/new/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert not Incident.objects.exists()


def test_an_invited_agency_records_an_incident_and_is_told_it_is_a_repeat(sign_in_fully, agency_rep, referrer, idva, case_a):
    assessment = services.assessment_start(case=case_a, by=referrer, on=date(2026, 6, 1))
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=date(2026, 6, 1))
    grant_hearing(agency_rep, case_a)
    client = sign_in_fully(agency_rep)
    today = date.today()
    response = client.post(
        f"/cases/{case_a.reference}/incidents/new/",
        {
            "occurred_on_day": str(today.day),
            "occurred_on_month": str(today.month),
            "occurred_on_year": str(today.year),
            "kind": "unwanted_contact",
        },
        follow=True,
    )
    assert "Incident recorded." in response.content.decode()
    assert Incident.objects.get().recording_agency == agency_rep.memberships.get().agency
    assert ("repeat case" in response.content.decode()) is (today <= date(2027, 6, 1))


GET_ONLY = ["checklists/{pk}/"]
GET_AND_POST = ["checklists/{pk}/step-1/", "checklists/{pk}/refer/", "incidents/new/"]
POST_ONLY = ["checklists/{pk}/judgement/", "checklists/"]


@pytest.fixture
def draft(case_a, referrer):
    return services.assessment_start(case=case_a, by=referrer, on=date(2026, 11, 1))


@pytest.mark.parametrize("path", GET_ONLY + GET_AND_POST + POST_ONLY)
def test_an_unrelated_person_gets_404_everywhere(sign_in_fully, unrelated, case_a, draft, path):
    client = sign_in_fully(unrelated)
    url = f"/cases/{case_a.reference}/" + path.format(pk=draft.pk)
    get, post = client.get(url).status_code, client.post(url, {}).status_code
    assert get == (405 if path in POST_ONLY else 404)
    assert post == (405 if path in GET_ONLY else 404)


def test_an_unrelated_coordinator_cannot_decide_another_areas_referral(sign_in_fully, case_a, draft, referrer, idva, other_area, police):
    from marac.models import Role
    from tests.conftest import make_person

    services.assessment_answer(assessment=draft, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    referral = services.referral_submit(assessment=draft, by=referrer, agency=idva, consent="given", today=date(2026, 11, 1))
    elsewhere = make_person("charnwood_coordinator", Role.COORDINATOR, police, other_area)
    client = sign_in_fully(elsewhere)
    assert client.post(f"/referrals/{referral.pk}/decision/", {"decision": "accept"}).status_code == 404
    assert client.get(f"/referrals/{referral.pk}/decision/").status_code == 404
    assert client.post("/referrals/999999/decision/", {}).status_code == 404
    assert referral.case.reference not in client.get("/referrals/triage/").content.decode()


@pytest.mark.parametrize(
    "persona,path", [("chair", "checklists/{pk}/"), ("auditor", "checklists/{pk}/step-1/"), ("auditor", "incidents/new/")]
)
def test_the_wrong_role_gets_403(request, sign_in_fully, case_a, draft, persona, path):
    client = sign_in_fully(request.getfixturevalue(persona))
    assert client.get(f"/cases/{case_a.reference}/" + path.format(pk=draft.pk)).status_code == 403


@pytest.mark.parametrize(
    "persona,url", [("coordinator", "/cases/new-checklist/"), ("referrer", "/referrals/triage/"), ("coordinator", "/referrals/")]
)
def test_role_pages_are_403_for_other_roles(request, sign_in_fully, persona, url):
    assert sign_in_fully(request.getfixturevalue(persona)).get(url).status_code == 403


@pytest.mark.parametrize("path", POST_ONLY)
def test_post_only_views_refuse_get(sign_in_fully, referrer, case_a, draft, path):
    assert sign_in_fully(referrer).get(f"/cases/{case_a.reference}/" + path.format(pk=draft.pk)).status_code == 405


def test_triage_costs_the_same_queries_for_5_or_25_referrals(
    sign_in_fully, coordinator, area, idva, referrer, django_assert_max_num_queries
):
    from tests.conftest import make_case

    def refer(first, count):  # distinct people, so no cross-area matches change the picture
        for i in range(first, first + count):
            case = make_case(area, idva, referrer, name=f"Person {i}", date_of_birth=date(1980, 1, 1 + i % 28), aliases=[f"Alias {i}"])
            assessment = services.assessment_start(case=case, by=referrer, on=date(2026, 11, 1))
            services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
            services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=date(2026, 11, 1))

    client = sign_in_fully(coordinator)
    refer(0, 5)
    client.get("/referrals/triage/")
    # A fixed number: session, the queue and the waiting list with their counts, index digests, audit.
    with django_assert_max_num_queries(15) as few:
        client.get("/referrals/triage/")
    refer(5, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/referrals/triage/").content.decode().count(">Decide<") == 25


@pytest.mark.parametrize("days_after,repeat", [(364, True), (365, True), (366, False)])
def test_the_incident_page_applies_the_repeat_window_on_todays_date(sign_in_fully, referrer, idva, case_a, days_after, repeat):
    from datetime import datetime, timedelta

    import time_machine

    referred_on = date(2025, 3, 1)
    assessment = services.assessment_start(case=case_a, by=referrer, on=referred_on)
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=referred_on)
    today = referred_on + timedelta(days=days_after)
    with time_machine.travel(datetime(today.year, today.month, today.day, 12, tzinfo=UTC), tick=False):
        client = sign_in_fully(referrer)
        response = client.post(
            f"/cases/{case_a.reference}/incidents/new/",
            {
                "occurred_on_day": str(today.day),
                "occurred_on_month": str(today.month),
                "occurred_on_year": str(today.year),
                "kind": "violence",
            },
            follow=True,
        )
    assert "Incident recorded." in response.content.decode()
    assert ("makes it a repeat case" in response.content.decode()) is repeat
