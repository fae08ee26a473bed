"""Withdrawing a referral is a decision, not a click (issue 16): a confirmation page says what
will happen, a reason is required and kept encrypted, and a bare POST withdraws nothing."""

from datetime import date

import pytest

from audit.models import AccessEvent
from marac.models import Role
from referrals import services
from referrals.checklists import DASH_2009
from referrals.models import Referral, ReferralMessage
from tests.conftest import make_person


@pytest.fixture
def referral(case_a, referrer, idva):
    """A high-risk referral (every answer yes), waiting in triage."""
    assessment = services.assessment_start(case=case_a, by=referrer, on=date(2026, 11, 1))
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=referrer)
    return services.referral_submit(assessment=assessment, by=referrer, agency=idva, consent="given", today=date(2026, 11, 1))


def test_the_withdraw_page_says_what_will_happen_and_withdraws_nothing(sign_in_fully, referrer, referral):
    page = sign_in_fully(referrer).get(f"/referrals/{referral.pk}/withdraw/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "although the risk checklist found a high risk" in text and "Why are you withdrawing the referral?" in text
    assert "Sarah Mitchell" in text  # the referrer may see whom it is about; the read is logged
    assert "name" in AccessEvent.objects.get(user=referrer, purpose="withdraw").fields
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_bare_post_is_refused_with_a_clear_error_and_the_referral_stays_submitted(sign_in_fully, referrer, referral, data):
    response = sign_in_fully(referrer).post(f"/referrals/{referral.pk}/withdraw/", data)
    text = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in text and "Say why you are withdrawing the referral" in text
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
    assert not ReferralMessage.objects.exists()


def test_an_oversize_reason_is_refused_and_what_was_typed_is_kept(sign_in_fully, referrer, referral):
    typed = "Made on the wrong case. " * 100  # 2,400 characters
    text = sign_in_fully(referrer).post(f"/referrals/{referral.pk}/withdraw/", {"reason": typed}).content.decode()
    assert "2000 characters or fewer" in text and "Made on the wrong case." in text
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED


def test_the_referrer_withdraws_with_a_reason_that_is_kept_encrypted(sign_in_fully, referrer, coordinator, referral):
    from django.db import connection

    reason = "Made on the wrong case: <script>alert(1)</script>"
    response = sign_in_fully(referrer).post(f"/referrals/{referral.pk}/withdraw/", {"reason": reason})
    assert response.status_code == 302 and response.url == "/referrals/"
    referral.refresh_from_db()
    assert referral.status == Referral.Status.WITHDRAWN and referral.decision_reason == reason
    assert referral.decided_by == referrer
    message = ReferralMessage.objects.get(referral=referral)
    assert message.kind == ReferralMessage.Kind.WITHDRAWN and message.author == referrer and message.text == reason
    with connection.cursor() as cursor:  # nothing typed is stored in clear
        cursor.execute("SELECT text FROM referrals_referralmessage")
        assert b"wrong case" not in bytes(cursor.fetchone()[0])
    page = sign_in_fully(coordinator).get(f"/cases/{referral.case.reference}/").content.decode()
    assert "Made on the wrong case: &lt;script&gt;" in page and "<script>alert(1)" not in page
    assert "The referrer withdrew the referral" in page


def test_a_decided_referral_cannot_be_withdrawn(sign_in_fully, referrer, coordinator, referral):
    services.referral_decide(referral=referral, status=Referral.Status.ACCEPTED, reason="", by=coordinator)
    response = sign_in_fully(referrer).post(f"/referrals/{referral.pk}/withdraw/", {"reason": "Changed my mind"}, follow=True)
    assert "Only a referral not yet decided can be withdrawn" in response.content.decode()
    referral.refresh_from_db()
    assert referral.status == Referral.Status.ACCEPTED


@pytest.mark.parametrize(
    "persona,status",
    [("coordinator", 403), ("chair", 403), ("auditor", 403), ("unrelated", 404), ("agency_rep", 404), ("police_referrer", 404)],
)
def test_only_the_referrers_agency_may_withdraw(request, sign_in_fully, referral, area, police, persona, status):
    person = (
        make_person("police_referrer", Role.REFERRER, police, area) if persona == "police_referrer" else request.getfixturevalue(persona)
    )
    client = sign_in_fully(person)
    assert client.get(f"/referrals/{referral.pk}/withdraw/").status_code == status
    assert client.post(f"/referrals/{referral.pk}/withdraw/", {"reason": "No longer needed"}).status_code == status
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
    assert AccessEvent.objects.filter(user=person, outcome="denied").exists()


def test_the_service_refuses_a_withdrawal_without_a_reason(referrer, referral):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="Say why"):
        services.referral_withdraw(referral=referral, reason=" ", by=referrer)
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SUBMITTED
