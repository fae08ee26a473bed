"""First contact with the victim (issue 18): an IDVA on the case records the date, not in the
future and not before the referral; corrections keep the earlier date in the referral's history;
everyone else is refused, and each recording and refusal is logged."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import Role
from referrals import services
from referrals.checklists import DASH_2009
from referrals.first_contact import first_contact_record
from referrals.models import Referral
from tests.conftest import grant_hearing, make_case, make_person

TODAY = timezone.localdate()
SUBMITTED = TODAY - timedelta(days=10)


def _submitted(case, by, agency) -> Referral:
    assessment = services.assessment_start(case=case, by=by, on=SUBMITTED)
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=by)
    return services.referral_submit(assessment=assessment, by=by, agency=agency, consent="given", today=SUBMITTED)


@pytest.fixture
def referral(case_a, referrer, idva):
    return _submitted(case_a, referrer, idva)


def _url(referral: Referral) -> str:
    return reverse("first-contact", args=[referral.case.reference, referral.pk])


def _date(on: date) -> dict:
    return {"on_day": str(on.day), "on_month": str(on.month), "on_year": str(on.year)}


def test_the_allocated_referrer_at_an_idva_records_first_contact_and_the_case_page_shows_it(sign_in_fully, referrer, referral):
    client = sign_in_fully(referrer)
    assert client.get(_url(referral)).status_code == 200
    response = client.post(_url(referral), _date(SUBMITTED + timedelta(days=2)))
    assert response.status_code == 302
    referral.refresh_from_db()
    assert (referral.first_contact_on, referral.first_contact_by) == (SUBMITTED + timedelta(days=2), referrer)
    assert AccessEvent.objects.filter(user=referrer, event="first_contact_recorded", case_reference=referral.case.reference).exists()
    page = client.get(reverse("case-detail", args=[referral.case.reference])).content.decode()
    assert "First contact with the victim" in page and f"{SUBMITTED + timedelta(days=2):%-d %B %Y}" in page
    assert "referral.first_contact_on" in AccessEvent.objects.filter(user=referrer, purpose="view case").last().fields


def test_a_correction_keeps_the_earlier_date_in_history(sign_in_fully, referrer, referral):
    first_contact_record(referral=referral, on=SUBMITTED + timedelta(days=1), by=referrer, today=TODAY)
    client = sign_in_fully(referrer)
    seen = (SUBMITTED + timedelta(days=1)).isoformat()
    assert f'name="seen" value="{seen}"' in client.get(_url(referral)).content.decode()  # the date the form was opened at
    response = client.post(_url(referral), {**_date(SUBMITTED + timedelta(days=3)), "seen": seen})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.first_contact_on == SUBMITTED + timedelta(days=3)
    assert SUBMITTED + timedelta(days=1) in set(referral.history.values_list("first_contact_on", flat=True))
    assert AccessEvent.objects.filter(user=referrer, event="first_contact_corrected").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (_date(TODAY + timedelta(days=1)), "today or in the past"),
        (_date(SUBMITTED - timedelta(days=1)), "cannot be before the referral was submitted"),
        ({"on_day": "31", "on_month": "2", "on_year": "2026"}, "real date"),
        ({"on_day": "<script>", "on_month": "x", "on_year": "9" * 50}, "There is a problem"),
        ({}, "Enter the date of first contact"),
    ],
)
def test_bad_dates_are_refused_with_a_clear_error_keeping_what_was_typed(sign_in_fully, referrer, referral, data, message):
    response = sign_in_fully(referrer).post(_url(referral), data)
    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text and message in text
    assert "<script>" not in text
    if data.get("on_day", "").isdigit():
        assert f'value="{data["on_day"]}"' in text
    referral.refresh_from_db()
    assert referral.first_contact_on is None


def test_the_service_refuses_a_draft_referral_a_date_in_the_future_and_the_same_date_again(referrer, referral):
    with pytest.raises(ValidationError, match="must be today or in the past"):
        first_contact_record(referral=referral, on=TODAY + timedelta(days=1), by=referrer, today=TODAY)
    first_contact_record(referral=referral, on=TODAY, by=referrer, today=TODAY)
    with pytest.raises(ValidationError, match="already recorded"):
        first_contact_record(referral=referral, on=TODAY, by=referrer, today=TODAY)
    Referral.objects.filter(pk=referral.pk).update(status=Referral.Status.DRAFT)
    with pytest.raises(ValidationError, match="not been submitted"):
        first_contact_record(referral=referral, on=TODAY - timedelta(days=1), by=referrer, today=TODAY)


def test_an_idva_representative_who_accepted_the_statement_records_it(sign_in_fully, area, idva, referral):
    rep = make_person("idva_rep", Role.AGENCY_REP, idva, area)
    grant_hearing(rep, referral.case, idva)
    response = sign_in_fully(rep).post(_url(referral), _date(TODAY))
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.first_contact_by == rep


@pytest.mark.parametrize("who", ["coordinator", "chair", "auditor", "agency_rep_hearing", "police_referrer"])
def test_people_who_see_the_case_but_are_not_its_idva_get_a_logged_403(sign_in_fully, request, area, police, referral, who):
    if who == "agency_rep_hearing":  # children's services, hearing the case: not an IDVA
        person = request.getfixturevalue("agency_rep")
        grant_hearing(person, referral.case)
    elif who == "police_referrer":  # allocated referrer of a case the police referred: not an IDVA
        person = make_person("officer", Role.REFERRER, police, area)
        police_case = make_case(area, police, person, name="Police Case")
        referral = _submitted(police_case, person, police)
    else:
        person = request.getfixturevalue(who)
    client = sign_in_fully(person)
    assert client.get(_url(referral)).status_code == 403
    assert client.post(_url(referral), _date(TODAY)).status_code == 403
    referral.refresh_from_db()
    assert referral.first_contact_on is None
    assert AccessEvent.objects.filter(user=person, event="first_contact_denied", outcome="denied").count() == 2


def test_no_relationship_or_a_rep_without_the_statement_gets_a_logged_404(sign_in_fully, unrelated, area, idva, referral):
    rep = make_person("idva_rep", Role.AGENCY_REP, idva, area)  # not yet at a meeting hearing the case
    for person in (unrelated, rep):
        assert sign_in_fully(person).post(_url(referral), _date(TODAY)).status_code == 404
        assert AccessEvent.objects.filter(user=person, event="case_access_denied", outcome="denied").exists()
    referral.refresh_from_db()
    assert referral.first_contact_on is None


def test_a_referral_of_another_case_is_a_logged_404(sign_in_fully, referrer, case_b, idva, referral):
    other = _submitted(case_b, referrer, idva)
    url = reverse("first-contact", args=[referral.case.reference, other.pk])
    assert sign_in_fully(referrer).post(url, _date(TODAY)).status_code == 404
    other.refresh_from_db()
    assert other.first_contact_on is None
    assert AccessEvent.objects.filter(user=referrer, event="case_access_denied", outcome="denied").exists()


def test_an_auditor_sees_the_date_withheld_on_the_case_page(sign_in_fully, auditor, referrer, referral):
    first_contact_record(referral=referral, on=SUBMITTED + timedelta(days=2), by=referrer, today=TODAY)
    page = sign_in_fully(auditor).get(reverse("case-detail", args=[referral.case.reference])).content.decode()
    assert "First contact with the victim" in page
    assert f"{SUBMITTED + timedelta(days=2):%-d %B %Y}" not in page


def test_opening_the_page_is_logged_as_a_read_with_the_date_shown(sign_in_fully, referrer, referral):
    # Review: the page said the case exists and showed the date recorded without an access event.
    client = sign_in_fully(referrer)
    assert client.get(_url(referral)).status_code == 200
    event = AccessEvent.objects.filter(user=referrer, event="case_read", purpose="record first contact").get()
    assert (event.case_reference, event.fields) == (referral.case.reference, ["referral.submitted_on"])
    first_contact_record(referral=referral, on=SUBMITTED, by=referrer, today=TODAY)
    assert client.get(_url(referral)).status_code == 200
    latest = AccessEvent.objects.filter(user=referrer, event="case_read", purpose="record first contact").order_by("-sequence").first()
    assert latest.fields == ["referral.first_contact_on", "referral.submitted_on"]


def test_a_rep_of_an_idva_and_another_agency_who_heard_the_case_for_the_other_is_refused(sign_in_fully, area, idva, police, referral):
    # Review: any IDVA membership in the area was enough, whichever agency the grant came through.
    rep = make_person("two_hats", Role.AGENCY_REP, police, area)
    rep.memberships.create(role=Role.AGENCY_REP, agency=idva, area=area)
    grant_hearing(rep, referral.case, police)
    client = sign_in_fully(rep)
    assert client.get(reverse("case-detail", args=[referral.case.reference])).status_code == 200  # sees the case
    assert client.post(_url(referral), _date(TODAY)).status_code == 403
    referral.refresh_from_db()
    assert referral.first_contact_on is None
    assert AccessEvent.objects.filter(user=rep, event="first_contact_denied", outcome="denied").exists()
    grant_hearing(rep, referral.case, idva)  # once at a meeting hearing it for the IDVA service, they may
    assert client.post(_url(referral), _date(TODAY)).status_code == 302


def test_a_deactivated_idva_representative_is_refused(sign_in_fully, area, idva, referral):
    rep = make_person("idva_rep", Role.AGENCY_REP, idva, area)
    grant_hearing(rep, referral.case, idva)
    rep.memberships.update(is_active=False)
    assert sign_in_fully(rep).post(_url(referral), _date(TODAY)).status_code == 404
    referral.refresh_from_db()
    assert referral.first_contact_on is None


def test_a_date_recorded_by_someone_else_meanwhile_is_not_silently_replaced(sign_in_fully, area, idva, referrer, referral):
    # Review: two IDVAs with the page open at once; the second save replaced a date they never saw.
    client = sign_in_fully(referrer)
    assert 'name="seen"' in client.get(_url(referral)).content.decode()  # opened with no date recorded
    rep = make_person("idva_rep", Role.AGENCY_REP, idva, area)
    first_contact_record(referral=referral, on=SUBMITTED + timedelta(days=1), by=rep, today=TODAY, seen=None)
    response = client.post(_url(referral), {**_date(SUBMITTED + timedelta(days=5)), "seen": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "Someone else recorded a date of first contact" in page
    assert f"{SUBMITTED + timedelta(days=1):%-d %B %Y}" in page  # the page now shows what was recorded
    referral.refresh_from_db()
    assert (referral.first_contact_on, referral.first_contact_by) == (SUBMITTED + timedelta(days=1), rep)
    seen = (SUBMITTED + timedelta(days=1)).isoformat()
    assert f'name="seen" value="{seen}"' in page
    assert client.post(_url(referral), {**_date(SUBMITTED + timedelta(days=5)), "seen": seen}).status_code == 302  # having seen it
    referral.refresh_from_db()
    assert referral.first_contact_on == SUBMITTED + timedelta(days=5)


def test_a_garbled_seen_date_is_an_error_not_a_500(sign_in_fully, referrer, referral):
    response = sign_in_fully(referrer).post(_url(referral), {**_date(TODAY), "seen": "2026-99-99"})
    assert response.status_code == 200 and "There is a problem" in response.content.decode()
    referral.refresh_from_db()
    assert referral.first_contact_on is None
