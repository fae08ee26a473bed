"""Closing and reopening a case (issue 16): the coordinator of its area, on a confirmation page,
with a coded reason and an optional note kept encrypted; recorded in its history and the log."""

from datetime import date

import pytest

from audit.models import AccessEvent
from marac.models import Role
from referrals import services
from referrals.checklists import DASH_2009
from referrals.models import Case, CaseStatusChange, Referral
from tests.conftest import grant_hearing, make_person


def close(client, case, **data):
    return client.post(f"/cases/{case.reference}/close/", {"reason": "risk_reduced", "note": "", **data})


def test_the_coordinator_closes_a_case_with_a_reason_and_reopens_it(sign_in_fully, coordinator, case_a):
    client = sign_in_fully(coordinator)
    page = client.get(f"/cases/{case_a.reference}/close/").content.decode()
    assert "no longer offered for a MARAC meeting" in page and "Sarah Mitchell" not in page
    response = close(client, case_a, note="Moved to a refuge out of county <b>")
    assert response.url == f"/cases/{case_a.reference}/"
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.CLOSED
    change = CaseStatusChange.objects.get()
    assert change.kind == "closed" and change.by == coordinator and change.note == "Moved to a refuge out of county <b>"
    shown = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert f"Closed on {date.today().day} " in shown and "(the actions are complete and the risk has reduced)" in shown
    assert "Moved to a refuge out of county &lt;b&gt;" in shown and "Reopen the case" in shown
    assert AccessEvent.objects.filter(event="case_closed", user=coordinator, case_reference=case_a.reference).exists()
    assert "closure.note" in AccessEvent.objects.filter(user=coordinator, purpose="view case").latest("pk").fields
    assert case_a.history.first().status == "closed"  # the case's own change history has it too

    assert client.post(f"/cases/{case_a.reference}/reopen/", {"reason": "new_incident"}).url == f"/cases/{case_a.reference}/"
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.OPEN
    chronology = client.get(f"/cases/{case_a.reference}/").content.decode()
    assert "Closed by coordinator: the actions are complete" in chronology and "Reopened by coordinator: a further incident" in chronology


def test_the_note_is_encrypted(coordinator, case_a):
    from django.db import connection

    from referrals import closing

    closing.case_close(case=case_a, reason="other", note="She is at her mother's in Measham", by=coordinator)
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM referrals_casestatuschange")
        assert b"Measham" not in bytes(cursor.fetchone()[0])


@pytest.mark.parametrize(
    "data,message",
    [
        ({"reason": ""}, "Choose a reason"),
        ({"reason": "new_incident"}, "Select a valid choice"),  # a reopening reason, not a closing one
        ({"reason": "nonsense"}, "Select a valid choice"),
        ({"reason": "other", "note": "  "}, "Say what the other reason is"),
        ({"reason": "other", "note": "x" * 2001}, "2000 characters or fewer"),
    ],
)
def test_bad_input_is_refused_clearly_and_the_case_stays_open(sign_in_fully, coordinator, case_a, data, message):
    response = close(sign_in_fully(coordinator), case_a, **data)
    assert response.status_code == 200 and message in response.content.decode()
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.OPEN and not CaseStatusChange.objects.exists()


def test_a_bare_post_closes_nothing(sign_in_fully, coordinator, case_a):
    response = sign_in_fully(coordinator).post(f"/cases/{case_a.reference}/close/")
    assert response.status_code == 200 and "Choose a reason" in response.content.decode()
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.OPEN


def test_a_case_with_a_referral_waiting_in_triage_is_not_closed(sign_in_fully, coordinator, referrer, idva, case_a):
    assessment = services.assessment_start(case=case_a, by=referrer, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=date.today())
    response = close(sign_in_fully(coordinator), case_a)
    assert "waiting for a decision" in response.content.decode()
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.OPEN


def test_a_new_referral_reopens_a_closed_case(coordinator, referrer, idva, case_a):
    from referrals import closing

    closing.case_close(case=case_a, reason="risk_reduced", by=coordinator)
    assessment = services.assessment_start(case=case_a, by=referrer, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    referral = services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=date.today())
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.OPEN and referral.status == Referral.Status.SUBMITTED
    assert CaseStatusChange.objects.last().reason == "new_referral"


def test_closing_a_closed_case_or_reopening_an_open_one_changes_nothing(sign_in_fully, coordinator, case_a):
    client = sign_in_fully(coordinator)
    assert client.get(f"/cases/{case_a.reference}/reopen/").url == f"/cases/{case_a.reference}/"
    assert client.post(f"/cases/{case_a.reference}/reopen/", {"reason": "new_incident"}).status_code == 302
    assert not CaseStatusChange.objects.exists()


@pytest.mark.parametrize(
    "persona,status",
    [("referrer", 403), ("chair", 403), ("auditor", 403), ("unrelated", 404), ("agency_rep", 404), ("other_coordinator", 404)],
)
def test_only_the_areas_coordinator_closes_or_reopens(request, sign_in_fully, case_a, other_area, police, persona, status):
    person = (
        make_person("other_coordinator", Role.COORDINATOR, police, other_area)
        if persona == "other_coordinator"
        else request.getfixturevalue(persona)
    )
    client = sign_in_fully(person)
    assert client.get(f"/cases/{case_a.reference}/close/").status_code == status
    assert close(client, case_a).status_code == status
    assert client.post(f"/cases/{case_a.reference}/reopen/", {"reason": "new_incident"}).status_code == status
    case_a.refresh_from_db()
    assert case_a.status == Case.Status.OPEN and not CaseStatusChange.objects.exists()
    assert AccessEvent.objects.filter(user=person, outcome="denied", case_reference=case_a.reference).exists()
    if status == 403:
        assert "Close the case" not in client.get(f"/cases/{case_a.reference}/").content.decode()


REASON = "the victim has moved away"


def closed_and_reopened(case, coordinator):
    from referrals import closing

    closing.case_close(case=case, reason="moved_away", note="Gone to her sister in Measham", by=coordinator)
    closing.case_reopen(case=case, reason="new_incident", by=coordinator)
    closing.case_close(case=case, reason="moved_away", by=coordinator)


@pytest.mark.parametrize("persona", ["coordinator", "chair"])
def test_those_who_may_read_the_note_see_why_the_case_was_closed(request, sign_in_fully, coordinator, case_a, persona):
    closed_and_reopened(case_a, coordinator)
    person = request.getfixturevalue(persona)
    page = sign_in_fully(person).get(f"/cases/{case_a.reference}/").content.decode()
    assert f"({REASON} and no marac area will take the case) by coordinator." in page.lower()
    assert "Closed by coordinator: the victim has moved away" in page and "Reopened by coordinator: a further incident" in page
    assert "Gone to her sister in Measham" in page
    fields = AccessEvent.objects.filter(user=person, purpose="view case", case_reference=case_a.reference).latest("pk").fields
    assert {"closure.reason", "closure.note"} <= set(fields)


@pytest.mark.parametrize("persona", ["auditor", "agency_rep"])
def test_the_auditor_and_a_meeting_representative_see_only_that_and_when_the_case_was_closed(
    request, sign_in_fully, coordinator, case_a, persona
):
    closed_and_reopened(case_a, coordinator)
    person = request.getfixturevalue(persona)
    if persona == "agency_rep":
        grant_hearing(person, case_a)
    page = sign_in_fully(person).get(f"/cases/{case_a.reference}/").content.decode()
    assert f"Closed on {date.today().day} {date.today():%B %Y} by coordinator." in page
    for reason in CaseStatusChange.Reason:
        assert reason.label.lower() not in page.lower(), reason
    assert "Measham" not in page
    chronology = page[page.index(">Chronology</h2>") :]
    assert "Closed by coordinator<" in chronology and "Reopened by coordinator<" in chronology
    fields = AccessEvent.objects.filter(user=person, purpose="view case", case_reference=case_a.reference).latest("pk").fields
    assert "closure.reason" not in fields and "closure.note" not in fields
