"""The partner API's happy journey, end to end: a partner system submits a referral (once, however
often it retries), the coordinator sees it in triage and decides, the system reads the decision,
then lists its agency's action from the meeting and reports progress on it."""

import pytest

from audit.models import AccessEvent
from meetings.models import Action
from referrals.models import Case, CaseAllocation, Referral
from tests.api.conftest import actions_for, referral_body

pytestmark = pytest.mark.django_db


def test_a_partner_referral_reaches_triage_is_decided_and_its_action_is_updated(
    idva_system, sign_in_fully, coordinator, chair, police, idva, area
):
    submitted = idva_system.submit(key="journey-1")
    assert submitted.status_code == 201, submitted.content
    body = submitted.json()
    assert body["status"] == "submitted" and body["area"] == "NWL" and body["risk_level"] == "high"
    assert body["criteria"] == ["visible_high_risk"]
    assert submitted["Location"] == body["url"] == f"/api/v1/referrals/{body['id']}/"

    referral = Referral.objects.get(case__reference=body["case_reference"])
    assert referral.referred_by == idva_system.partner.service_user
    assert referral.victim_views == "She wants the children kept safe."
    # The client's account is on the case team, as the worker who makes a case is.
    assert CaseAllocation.objects.current().filter(case=referral.case, user=idva_system.partner.service_user).exists()

    web = sign_in_fully(coordinator)
    triage = web.get("/referrals/triage/")
    assert body["case_reference"] in triage.content.decode()
    decided = web.post(f"/referrals/{referral.pk}/decision/", {"decision": "accept", "reason": ""})
    assert decided.status_code == 302, decided.content

    read = idva_system.get(body["url"])
    assert read.status_code == 200
    assert read.json()["status"] == "accepted"
    assert read.json()["decision"]["status"] == "accepted" and read.json()["decision"]["reason_withheld"] is False

    (action,) = actions_for(case=referral.case, area=area, owners=[idva], coordinator=coordinator, chair=chair, agencies=[police, idva])
    listed = idva_system.get("/api/v1/actions/")
    assert listed.status_code == 200
    assert [(a["id"], a["description"], a["status"]) for a in listed.json()["results"]] == [
        (action.pk, "Refer to the housing panel", "open")
    ]

    updated = idva_system.patch(f"/api/v1/actions/{action.pk}/", {"status": "done", "note": "Referred on 3 May"})
    assert updated.status_code == 200, updated.content
    assert updated.json()["status"] == "done"
    action.refresh_from_db()
    assert action.status == Action.Status.DONE
    assert action.updates.get().note == "Referred on 3 May"


def test_the_same_key_and_body_returns_the_first_response_and_makes_one_referral(idva_system):
    first = idva_system.submit(key="same-key")
    again = idva_system.submit(key="same-key")
    assert first.status_code == 201 and again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Referral.objects.count() == 1 and Case.objects.count() == 1


def test_the_same_key_with_another_body_is_refused_and_makes_nothing(idva_system):
    assert idva_system.submit(key="k1").status_code == 201
    other = idva_system.submit(referral_body(consent="without", without_consent_reason="Risk to life"), key="k1")
    assert other.status_code == 422
    assert other["Content-Type"] == "application/problem+json"
    assert Referral.objects.count() == 1


def test_keys_are_the_clients_own(idva_system, police_system):
    assert idva_system.submit(key="shared").status_code == 201
    theirs = police_system.submit(referral_body(area="CHA"), key="shared")
    assert theirs.status_code == 201
    assert theirs.json()["id"] != idva_system.get("/api/v1/referrals/").json()["results"][0]["id"]


def test_a_refused_submission_leaves_nothing_and_its_key_can_be_used_again(idva_system):
    low = referral_body()
    low["checklist"]["answers"] = {q: {**a, "answer": "no"} for q, a in low["checklist"]["answers"].items()}
    refused = idva_system.submit(low, key="retry-me")
    assert refused.status_code == 422
    assert "criterion" in refused.json()["detail"]
    assert Case.objects.count() == 0
    assert idva_system.submit(key="retry-me").status_code == 201


def test_professional_judgement_raises_the_level_and_makes_the_referral(idva_system):
    body = referral_body(professional_judgement={"level": "high", "rationale": "Threats to kill with a weapon"})
    body["checklist"]["answers"] = {q: {**a, "answer": "no"} for q, a in body["checklist"]["answers"].items()}
    made = idva_system.submit(body)
    assert made.status_code == 201, made.content
    assert made.json()["risk_level"] == "high" and made.json()["criteria"] == ["professional_judgement"]


def test_every_call_is_in_the_access_log_under_the_clients_account(idva_system):
    idva_system.get_token()
    before = AccessEvent.objects.count()
    idva_system.get("/api/v1/referrals/")
    calls = AccessEvent.objects.filter(event="api_call").order_by("-sequence")
    assert AccessEvent.objects.count() > before
    assert (calls[0].user, calls[0].outcome, calls[0].purpose) == (idva_system.partner.service_user, "allowed", "GET api:api-referrals 200")


def test_the_list_is_paged_and_holds_only_references_and_statuses(idva_system):
    for n in range(3):
        assert idva_system.submit(key=f"list-{n}").status_code == 201
    page = idva_system.get("/api/v1/referrals/").json()
    assert page["count"] == 3
    assert set(page["results"][0]) == {"id", "case_reference", "area", "status", "submitted_on", "decided_at"}
    assert "Kerry" not in str(page)
