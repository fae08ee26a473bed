""" "More information" is a conversation (issue 16): the coordinator's question, the referrer's
written reply and the resubmission, kept in order, shown to both, encrypted, read through the
field policy and logged."""

from datetime import date

import pytest
from django.test import Client

from audit.models import AccessEvent
from marac.models import Role
from referrals import services
from referrals.checklists import DASH_2009
from referrals.models import Referral, ReferralMessage
from tests.conftest import grant_hearing, make_person, sign_in_with_both_factors

QUESTION = "Are there children in the house?"


@pytest.fixture
def referral(case_a, referrer, idva):
    assessment = services.assessment_start(case=case_a, by=referrer, on=date(2026, 11, 1))
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    return services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=date(2026, 11, 1))


@pytest.fixture
def asked(referral, coordinator):
    return services.referral_decide(referral=referral, status=Referral.Status.MORE_INFO, reason=QUESTION, by=coordinator)


def test_the_question_the_reply_and_the_resubmission_make_one_thread_both_sides_see(sign_in_fully, coordinator, referrer, referral):
    boss = sign_in_with_both_factors(Client(), coordinator)
    boss.post(f"/referrals/{referral.pk}/decision/", {"decision": "more_info", "reason": QUESTION})
    worker = sign_in_fully(referrer)
    page = worker.get(f"/referrals/{referral.pk}/").content.decode()
    assert QUESTION in page and "Answer the coordinator" in page
    assert worker.post(f"/referrals/{referral.pk}/reply/", {"text": "Two, aged 4 and 7."}).url == f"/referrals/{referral.pk}/"
    assert worker.post(f"/referrals/{referral.pk}/resubmit/", {"reply": "Both at Greenhill Primary."}).url == "/referrals/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
    thread = list(ReferralMessage.objects.filter(referral=referral).values_list("kind", "author__username"))
    assert thread == [("question", "coordinator"), ("reply", "referrer"), ("resubmitted", "referrer")]
    decision = boss.get(f"/referrals/{referral.pk}/decision/").content.decode()
    for text in (QUESTION, "Two, aged 4 and 7.", "Both at Greenhill Primary."):
        assert text in decision
    assert decision.index(QUESTION) < decision.index("Two, aged 4 and 7.") < decision.index("Both at Greenhill Primary.")
    assert "message.text" in AccessEvent.objects.filter(user=coordinator, purpose="triage", event="case_read").latest("pk").fields
    assert "message.text" in AccessEvent.objects.filter(user=referrer, purpose="referral conversation").latest("pk").fields


def test_the_thread_is_encrypted_under_the_case_key(referrer, asked):
    from django.db import connection

    services.referral_resubmit(referral=asked, by=referrer, reply="She has moved to her sister's")
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM referrals_referralmessage")
        stored = b"".join(bytes(row[0]) for row in cursor.fetchall())
    assert b"children" not in stored and b"sister" not in stored


def test_a_question_from_before_the_thread_is_shown_as_the_first_question(sign_in_fully, referrer, asked):
    ReferralMessage.objects.all().delete()  # as a referral asked about before issue 16 was built
    page = sign_in_fully(referrer).get(f"/referrals/{asked.pk}/").content.decode()
    assert "The coordinator asked for more information" in page and QUESTION in page


@pytest.mark.parametrize("data,message", [({"text": ""}, "Write your reply"), ({"text": "x" * 2001}, "2000 characters or fewer")])
def test_a_bad_reply_is_refused_clearly_and_nothing_is_lost(sign_in_fully, referrer, asked, data, message):
    response = sign_in_fully(referrer).post(f"/referrals/{asked.pk}/reply/", data)
    assert response.status_code == 200 and message in response.content.decode()
    if data["text"]:
        assert data["text"] in response.content.decode()  # what they typed is still in the box
    assert not ReferralMessage.objects.filter(kind=ReferralMessage.Kind.REPLY).exists()


def test_a_reply_is_refused_once_nothing_is_asked(sign_in_fully, referrer, referral):
    response = sign_in_fully(referrer).post(f"/referrals/{referral.pk}/reply/", {"text": "Hello"}, follow=True)
    assert "only reply while the coordinator is waiting" in response.content.decode()
    assert not ReferralMessage.objects.exists()


def test_the_score_level_and_criteria_on_the_referrers_pages_are_logged_as_read(sign_in_fully, referrer, asked):
    client = sign_in_fully(referrer)
    page = client.get(f"/referrals/{asked.pk}/").content.decode()
    assert "24 (high)" in page and "Visible high risk" in page
    client.get(f"/referrals/{asked.pk}/withdraw/")
    for purpose in ("referral conversation", "withdraw"):
        fields = AccessEvent.objects.filter(user=referrer, purpose=purpose, case_reference=asked.case.reference).latest("pk").fields
        assert {"assessment.score", "referral.criteria"} <= set(fields), purpose


@pytest.mark.parametrize("persona", ["coordinator", "auditor", "agency_rep"])
def test_no_one_but_the_referrer_reads_the_score_or_criteria_on_those_pages(request, sign_in_fully, asked, persona):
    person = request.getfixturevalue(persona)
    client = sign_in_fully(person)
    for url in (f"/referrals/{asked.pk}/", f"/referrals/{asked.pk}/withdraw/"):
        response = client.get(url)
        assert response.status_code in (403, 404) and "Visible high risk" not in response.content.decode()
    reads = AccessEvent.objects.filter(user=person, event="case_read", purpose__in=["referral conversation", "withdraw"])
    assert not reads.exists()


def test_a_meeting_representative_sees_neither_the_question_nor_the_answers(sign_in_fully, agency_rep, referrer, asked):
    services.referral_resubmit(referral=asked, by=referrer, reply="Two children, 4 and 7")
    grant_hearing(agency_rep, asked.case)
    page = sign_in_fully(agency_rep).get(f"/cases/{asked.case.reference}/").content.decode()
    assert QUESTION not in page and "Two children" not in page and "Withheld" in page
    assert "message.text" not in AccessEvent.objects.filter(user=agency_rep, purpose="view case").latest("pk").fields


def test_the_auditor_sees_that_a_conversation_happened_but_not_what_was_said(sign_in_fully, auditor, referrer, asked):
    services.referral_resubmit(referral=asked, by=referrer, reply="Two children, 4 and 7")
    page = sign_in_fully(auditor).get(f"/cases/{asked.case.reference}/").content.decode()
    assert "The coordinator asked for more information" in page
    assert QUESTION not in page and "Two children" not in page


@pytest.mark.parametrize(
    "persona,status",
    [("coordinator", 403), ("chair", 403), ("auditor", 403), ("unrelated", 404), ("agency_rep", 404), ("police_referrer", 404)],
)
def test_only_the_referrers_agency_opens_replies_or_sends_back(request, sign_in_fully, asked, area, police, persona, status):
    person = (
        make_person("police_referrer", Role.REFERRER, police, area) if persona == "police_referrer" else request.getfixturevalue(persona)
    )
    client = sign_in_fully(person)
    assert client.get(f"/referrals/{asked.pk}/").status_code == status
    assert client.post(f"/referrals/{asked.pk}/reply/", {"text": "Sneaky"}).status_code == status
    assert client.post(f"/referrals/{asked.pk}/resubmit/", {"reply": ""}).status_code == status
    assert list(ReferralMessage.objects.values_list("kind", flat=True)) == ["question"]
    asked.refresh_from_db()
    assert asked.status == Referral.Status.MORE_INFO


def test_the_reply_and_conversation_pages_refuse_the_wrong_method(sign_in_fully, referrer, asked):
    client = sign_in_fully(referrer)
    assert client.get(f"/referrals/{asked.pk}/reply/").status_code == 405
    assert client.post(f"/referrals/{asked.pk}/").status_code == 405


def test_the_referrer_is_taken_from_the_case_page_to_the_question(sign_in_fully, referrer, coordinator, asked):
    page = sign_in_fully(referrer).get(f"/cases/{asked.case.reference}/").content.decode()
    assert QUESTION in page and f'href="/referrals/{asked.pk}/"' in page
    boss_page = sign_in_with_both_factors(Client(), coordinator).get(f"/cases/{asked.case.reference}/").content.decode()
    assert QUESTION in boss_page and f'href="/referrals/{asked.pk}/"' not in boss_page


def test_the_score_level_and_criteria_on_the_coordinators_pages_are_logged_as_read(sign_in_fully, coordinator, referral):
    client = sign_in_fully(coordinator)
    for path in ("/referrals/triage/", f"/referrals/{referral.pk}/decision/"):
        page = client.get(path).content.decode()
        assert "24 (high)" in page, path
        fields = AccessEvent.objects.filter(user=coordinator, purpose="triage", case_reference=referral.case.reference).latest("pk").fields
        assert {"assessment.score", "referral.criteria"} <= set(fields), path
