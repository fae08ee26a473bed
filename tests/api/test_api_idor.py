"""Two partner systems of different agencies in different areas: neither can read, list or update
the other's referrals or actions (404, the same answer as an id that exists nowhere, logged), nor
submit into an area it is not scoped to. Tokens end when revoked or expired; a person's session
does not open the API and a token does not open the web pages; and the API is off (404
everywhere) until a client is configured."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken

from api.clients import partner_client_revoke
from audit.models import AccessEvent
from referrals.models import Case, Referral
from tests.api.conftest import TOKEN_URL, actions_for, referral_body
from tests.meetings.conftest import accepted

pytestmark = pytest.mark.django_db


def last_sequence() -> int:
    return AccessEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def events_since(since: int) -> list[tuple[str, str, object]]:
    return [(e.event, e.outcome, e.user) for e in AccessEvent.objects.filter(sequence__gt=since).order_by("sequence")]


@pytest.fixture
def idva_referral(idva_system) -> dict:
    made = idva_system.submit()
    assert made.status_code == 201
    return made.json()


def test_another_clients_referral_is_a_logged_404_like_one_that_does_not_exist(idva_referral, police_system):
    police_system.get_token()
    since = last_sequence()
    theirs = police_system.get(idva_referral["url"])
    assert theirs.status_code == 404
    assert events_since(since) == [("api_referral_denied", "denied", police_system.partner.service_user)]
    nowhere = police_system.get(f"/api/v1/referrals/{uuid.uuid4()}/")
    not_an_id = police_system.get("/api/v1/referrals/1/")
    assert (
        theirs.json()
        == nowhere.json()
        == not_an_id.json()
        == {"type": "about:blank", "title": "Not found", "status": 404, "detail": "Not found"}
    )


def test_another_clients_referrals_are_not_listed(idva_referral, police_system, idva_system):
    assert police_system.get("/api/v1/referrals/").json()["count"] == 0
    assert [r["id"] for r in idva_system.get("/api/v1/referrals/").json()["results"]] == [idva_referral["id"]]


def test_a_referral_the_agency_made_on_the_web_is_not_the_clients(idva_system, case_a, referrer, idva, coordinator):
    # Same agency, same area: but the client is not on that case's team, so it is not its referral.
    accepted(case_a, referrer=referrer, agency=idva, coordinator=coordinator)
    assert idva_system.get("/api/v1/referrals/").json()["count"] == 0


def test_a_client_cannot_submit_into_an_area_it_is_not_scoped_to(idva_system, other_area):
    for code in ("CHA", "ZZZ"):  # another client's area, and one that exists nowhere: the same answer
        refused = idva_system.submit(referral_body(area=code))
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"area": ["Not one of this client's areas"]}
    assert Case.objects.count() == 0


def test_another_agencys_action_cannot_be_read_listed_or_updated(
    idva_referral, idva_system, police_system, area, coordinator, chair, idva, police
):
    referral = Referral.objects.get(case__reference=idva_referral["case_reference"])
    case = referral.case
    from referrals import services

    services.referral_decide(referral=referral, status="accepted", reason="", by=coordinator)
    # The police own an action in NWL too, but their client is scoped to Charnwood only.
    action, police_action = actions_for(
        case=case, area=area, owners=[idva, police], coordinator=coordinator, chair=chair, agencies=[police, idva]
    )
    assert police_system.get("/api/v1/actions/").json()["count"] == 0
    for pk in (action.pk, police_action.pk, 999999):
        assert police_system.get(f"/api/v1/actions/{pk}/").status_code == 404
        assert police_system.patch(f"/api/v1/actions/{pk}/", {"status": "done", "note": "Done"}).status_code == 404
    assert [a["id"] for a in idva_system.get("/api/v1/actions/").json()["results"]] == [action.pk]
    assert idva_system.get(f"/api/v1/actions/{police_action.pk}/").status_code == 404
    action.refresh_from_db()
    police_action.refresh_from_db()
    assert (action.status, police_action.status) == ("open", "open")
    assert not action.updates.exists() and not police_action.updates.exists()


def test_a_revoked_clients_token_stops_working_at_once(idva_system):
    assert idva_system.get("/api/v1/referrals/").status_code == 200
    partner_client_revoke(client=idva_system.partner, by=None)
    refused = idva_system.get("/api/v1/referrals/")
    assert refused.status_code in (401, 404)  # 404: no client is active, so the API is off altogether
    assert AccessToken.objects.count() == 0


def test_a_revoked_client_gets_no_new_token_while_another_keeps_working(idva_system, police_system):
    police_system.get_token()
    idva_system.get_token()
    partner_client_revoke(client=idva_system.partner, by=None)
    refused = idva_system.http.post(
        TOKEN_URL,
        f"grant_type=client_credentials&client_id={idva_system.client_id}&client_secret={idva_system.secret}",
        content_type="application/x-www-form-urlencoded",
    )
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    assert idva_system.get("/api/v1/referrals/").status_code == 401
    assert police_system.get("/api/v1/referrals/").status_code == 200


def test_an_expired_token_fails(idva_system):
    idva_system.get_token()
    AccessToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    response = idva_system.get("/api/v1/referrals/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_tokens_are_short_lived_and_come_without_a_refresh_token(idva_system):
    basic_client = Client()
    issued = basic_client.post(
        TOKEN_URL,
        f"grant_type=client_credentials&client_id={idva_system.client_id}&client_secret={idva_system.secret}",
        content_type="application/x-www-form-urlencoded",
    ).json()
    assert issued["expires_in"] == 600 and issued["token_type"] == "Bearer" and "refresh_token" not in issued


@pytest.mark.parametrize("grant", ["password", "authorization_code", "implicit", "refresh_token"])
def test_only_the_client_credentials_grant_is_served(idva_system, grant):
    response = Client().post(
        TOKEN_URL,
        f"grant_type={grant}&client_id={idva_system.client_id}&client_secret={idva_system.secret}&username=x&password=y&code=z",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (400, 401)
    assert "access_token" not in response.json()


def test_a_wrong_secret_gets_no_token(idva_system):
    response = Client().post(
        TOKEN_URL,
        f"grant_type=client_credentials&client_id={idva_system.client_id}&client_secret=guess",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 401 and "access_token" not in response.json()


def test_the_secret_is_stored_only_as_a_hash(idva_system):
    stored = idva_system.partner.application.client_secret
    assert stored != idva_system.secret and idva_system.secret not in stored


def test_a_persons_session_does_not_open_the_api(idva_system, sign_in_fully, referrer):
    web = sign_in_fully(referrer)
    assert web.get("/api/v1/referrals/").status_code == 401
    assert web.post("/api/v1/referrals/", referral_body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k").status_code == 401
    assert Referral.objects.count() == 0


def test_a_token_does_not_open_the_web_pages(idva_system):
    token = idva_system.get_token()
    for url in ("/", "/referrals/", "/cases/"):
        response = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 302 and response.url.startswith("/sign-in/"), url


def test_the_service_account_cannot_sign_in_to_the_web(idva_system):
    account = idva_system.partner.service_user
    assert not account.has_usable_password()
    response = Client().post("/sign-in/", {"username": account.username, "password": idva_system.secret})
    assert response.status_code == 200  # the form again, with its error: no session
    assert "_auth_user_id" not in Client().session


def test_the_api_is_off_until_a_client_is_configured(db):
    anyone = Client()
    for url in ("/api/v1/schema/", "/api/v1/referrals/", f"/api/v1/referrals/{uuid.uuid4()}/", "/api/v1/actions/", "/api/v1/actions/1/"):
        assert anyone.get(url).status_code == 404, url
    token = anyone.post(TOKEN_URL, "grant_type=client_credentials", content_type="application/x-www-form-urlencoded")
    assert token.status_code == 404


def test_unauthenticated_calls_are_401_and_logged(idva_system):
    since = last_sequence()
    response = Client().get("/api/v1/referrals/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert events_since(since) == [("api_call", "denied", None)]
