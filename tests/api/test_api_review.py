"""The security review of the partner API (ADR 0030): what a hostile caller, a changed client or
a changed case must not get through, and the service accounts kept out of people's lists."""

import gzip
import json
import secrets

import pytest
from django.test import Client

from api.authentication import client_viewer
from api.clients import partner_client_areas_set
from api.models import IdempotencyKey
from audit.models import AccessEvent
from marac.models import Membership, NoticeKind, Notification, Role
from marac.notices import notify
from meetings.services import action_owners
from referrals.models import Referral
from tests.api.conftest import TOKEN_URL, actions_for, referral_body
from tests.conftest import make_case, make_person
from tests.meetings.conftest import accepted

pytestmark = pytest.mark.django_db


def last_sequence() -> int:
    return AccessEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


# --- Idempotency ------------------------------------------------------------------------------


def test_the_idempotency_key_is_stored_only_as_a_keyed_digest(idva_system):
    key = "NWL-case-4411-Kerry"  # a partner may well use its own case number
    assert idva_system.submit(key=key).status_code == 201
    stored = IdempotencyKey.objects.get()
    assert key not in (stored.key, stored.request_digest, stored.response_digest)
    assert len(stored.key) == 64
    assert idva_system.submit(key=key).status_code == 200  # still found under its digest


def test_a_retry_across_a_rotation_of_the_secret_key_is_still_a_retry(idva_system, settings):
    """While the earlier key is a fallback a retry is answered, not made again, and a different
    body under the same key is still refused; once the earlier key is gone the key is new."""
    body = referral_body()
    assert idva_system.submit(body, key="k-rotated").status_code == 201
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secrets.token_urlsafe(64), [settings.SECRET_KEY]
    assert idva_system.submit(body, key="k-rotated").status_code == 200
    other = idva_system.submit(referral_body(voice={"victim_aware": "yes", "victim_views": "Other views"}), key="k-rotated")
    assert other.status_code == 422 and "different body" in other.json()["detail"]
    assert Referral.objects.count() == 1
    after = idva_system.submit(referral_body(), key="k-after")
    assert after.status_code == 201
    settings.SECRET_KEY_FALLBACKS = []
    assert idva_system.submit(referral_body(), key="k-after").status_code == 200  # kept under the new key, not the fallback
    assert idva_system.submit(body, key="k-rotated").status_code == 201  # why the runbook keeps it a day
    assert Referral.objects.count() == 3


def test_a_replay_after_the_area_was_taken_from_the_client_says_nothing_of_the_referral(idva_system, area, other_area):
    body = referral_body()
    first = idva_system.submit(body, key="k-1")
    assert first.status_code == 201
    partner_client_areas_set(client=idva_system.partner, areas=[other_area], by=None)
    replay = idva_system.submit(body, key="k-1")
    assert replay.status_code == 409
    assert first.json()["case_reference"] not in replay.content.decode()
    assert Referral.objects.count() == 1  # and nothing made again


def test_the_answer_to_a_submission_and_to_its_replay_are_logged_case_reads(idva_system):
    since = last_sequence()
    made = idva_system.submit(key="k-2")
    reference = made.json()["case_reference"]
    idva_system.submit(key="k-2")
    reads = AccessEvent.objects.filter(sequence__gt=since, case_reference=reference, event="case_read")
    assert reads.count() == 2


# --- Scope ------------------------------------------------------------------------------------


def test_a_membership_given_to_the_service_account_by_hand_widens_nothing(idva_system, other_area, idva, police):
    account = idva_system.partner.service_user
    Membership.objects.create(user=account, agency=idva, area=other_area, role=Role.REFERRER)
    Membership.objects.create(user=account, agency=police, area=other_area, role=Role.COORDINATOR)
    kept = client_viewer(idva_system.partner).memberships
    assert {(m.agency_id, m.area_id, m.role) for m in kept} == {(idva.pk, a.pk, Role.REFERRER) for a in idva_system.partner.areas.all()}
    # Through the API: an IDVA action in Charnwood stays out of reach.
    referrer = make_person("cha_referrer", Role.REFERRER, idva, other_area)
    coordinator = make_person("cha_coordinator", Role.COORDINATOR, police, other_area)
    chair = make_person("cha_chair", Role.CHAIR, police, other_area)
    case = make_case(other_area, idva, referrer)
    accepted(case, referrer=referrer, agency=idva, coordinator=coordinator)
    (action,) = actions_for(case=case, area=other_area, owners=[idva], coordinator=coordinator, chair=chair, agencies=[idva])
    assert idva_system.get("/api/v1/actions/").json()["count"] == 0
    assert idva_system.get(f"/api/v1/actions/{action.pk}/").status_code == 404


def test_a_referral_whose_area_was_taken_from_the_client_is_a_404(idva_system, other_area):
    made = idva_system.submit().json()
    partner_client_areas_set(client=idva_system.partner, areas=[other_area], by=None)
    assert idva_system.get(made["url"]).status_code == 404
    assert idva_system.get("/api/v1/referrals/").json()["count"] == 0


# --- Service accounts are no people -------------------------------------------------------------


def test_a_service_account_owns_no_action_and_is_told_nothing(idva_system, area, idva, referrer):
    account = idva_system.partner.service_user
    assert list(action_owners(agency=idva, area=area)) == [referrer]
    account.email = "system@example.org"  # even given an address by hand
    account.save()
    notify(kind=NoticeKind.SAFE_CONTACT_CHANGED, subject_key="case_alert:1", users=[account, referrer], url="/")
    assert list(Notification.objects.values_list("user", flat=True)) == [referrer.pk]


# --- Web pages and the /api/v1/ prefix ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/../cases/",
        "/api/v1/%2e%2e/cases/",
        "/api/v1/..%2fcases/",
        "/api%2fv1/cases/",
        "/api/v1evil/",
        "/API/v1/cases/",
        "/api/v1//cases/",
        "/cases/?/api/v1/",
        "/cases//api/v1/",
    ],
)
def test_no_address_like_the_api_opens_a_web_page_signed_out(idva_system, url):
    response = Client().get(url)
    # Either the web's own answer to someone signed out, or a 404 (the API's, or the web's page
    # for an address that does not exist): never a web page's content.
    assert response.status_code in (302, 404), response.status_code
    if response.status_code == 302:
        assert response.url.startswith("/sign-in/")


def test_the_token_endpoint_answers_no_session_and_no_csrf_cookie(idva_system, sign_in_fully, referrer):
    web = sign_in_fully(referrer)
    token = web.post(
        TOKEN_URL,
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
        HTTP_AUTHORIZATION="Basic " + __import__("base64").b64encode(f"{idva_system.client_id}:{idva_system.secret}".encode()).decode(),
    )
    assert token.status_code == 200
    assert "csrftoken" not in token.cookies and "sessionid" not in token.cookies


def test_web_forms_still_need_their_csrf_token(referrer):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/sign-in/", {"username": "referrer", "password": "x"})
    assert response.status_code == 403


# --- Hostile input: a problem answer, never a 500, never an echo ---------------------------------

ECHO = "Zephyrine-Qx7"

BAD_BODIES = [
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"123",
    b"{",
    b"{}",
    b'{"area": []}',
    b'{"area": {"a": 1}}',
    json.dumps({**referral_body(), "victim": []}).encode(),
    json.dumps({**referral_body(), "victim": ECHO}).encode(),
    json.dumps({**referral_body(), "checklist": []}).encode(),
    json.dumps({**referral_body(), "checklist": {"version": ECHO, "answers": []}}).encode(),
    json.dumps({**referral_body(), "checklist": {"version": "dash-2009", "answers": {ECHO: {"answer": "yes"}}}}).encode(),
    json.dumps({**referral_body(), "victim": {"name": ECHO + "\u0000", "address": "x"}}).encode(),
    json.dumps({**referral_body(), "victim": {"name": "\ud800" + ECHO, "address": "x"}}).encode(),
    json.dumps({**referral_body(), "victim": {"name": ECHO, "date_of_birth": ECHO, "address": "x"}}).encode(),
    json.dumps({**referral_body(), "victim": {"name": ECHO, "date_of_birth": "9999-99-99", "address": "x"}}).encode(),
    json.dumps({**referral_body(), "victim": {"name": ECHO, "date_of_birth": "0001-01-01", "address": "x"}}).encode(),
    json.dumps({**referral_body(), "consent": ECHO}).encode(),
    json.dumps({**referral_body(), "consent": None}).encode(),
    json.dumps({**referral_body(), "voice": []}).encode(),
    json.dumps({**referral_body(), "voice": {"victim_aware": ECHO}}).encode(),
    json.dumps({**referral_body(), "professional_judgement": {"level": ECHO, "rationale": ECHO}}).encode(),
    json.dumps({**referral_body(), "area": "N" * 10000}).encode(),
    json.dumps({**referral_body(), "area": 1e308}).encode(),
    b'{"area": NaN}',
    b"[" * 5000 + b"]" * 5000,
    b'{"a": ' * 3000 + b"1" + b"}" * 3000,
    b"\xff\xfe\x00{",
    gzip.compress(json.dumps(referral_body()).encode()),
]


@pytest.mark.parametrize("index", range(len(BAD_BODIES)))
def test_a_bad_body_is_a_problem_without_an_echo(idva_system, index):
    response = idva_system.post("/api/v1/referrals/", BAD_BODIES[index], key=f"bad-{index}")
    assert 400 <= response.status_code < 500, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"
    assert ECHO.encode() not in response.content
    assert Referral.objects.count() == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"CONTENT_TYPE": "application/json; charset=utf-16"},
        {"CONTENT_TYPE": "application/x-www-form-urlencoded"},
        {"CONTENT_TYPE": "multipart/form-data; boundary=x"},
        {"CONTENT_TYPE": "text/plain"},
        {"CONTENT_TYPE": "application/json", "HTTP_CONTENT_ENCODING": "gzip"},
        {"CONTENT_TYPE": "application/json", "HTTP_TRANSFER_ENCODING": "chunked"},
        {"CONTENT_TYPE": "application/json", "HTTP_IDEMPOTENCY_KEY": ECHO + "\u00e9"},
        {"CONTENT_TYPE": "application/json", "HTTP_IDEMPOTENCY_KEY": "k" * 100_000},
        {"CONTENT_TYPE": "application/json", "HTTP_ACCEPT": "text/html"},
        {"CONTENT_TYPE": "application/json", "HTTP_X_HUGE": "x" * 1_000_000},
    ],
)
def test_bad_headers_are_a_problem_never_a_500(idva_system, headers):
    extra = {"HTTP_IDEMPOTENCY_KEY": "hk", **headers}
    content_type = extra.pop("CONTENT_TYPE")
    response = idva_system.http.post(
        "/api/v1/referrals/",
        json.dumps(referral_body(area="ZZZ")),
        content_type=content_type,
        HTTP_AUTHORIZATION=f"Bearer {idva_system.get_token()}",
        **extra,
    )
    assert 400 <= response.status_code < 500, response.content[:300]
    assert ECHO.encode() not in response.content


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer " + "A" * 100_000,
        "Bearer \u0000abc",
        "Bearer é",
        "Bearer",
        "Basic Zm9vOmJhcg==",
        "bearer  x y z",
        "Bearer " + ECHO,
    ],
)
def test_a_bad_bearer_is_a_401_without_an_echo(idva_system, authorization):
    response = Client().get("/api/v1/referrals/", HTTP_AUTHORIZATION=authorization)
    assert response.status_code == 401
    assert ECHO.encode() not in response.content


@pytest.mark.parametrize(
    "body, authorization",
    [
        ("grant_type=client_credentials&client_id=%00x&client_secret=y", None),
        ("grant_type=client_credentials&client_id=" + "x" * 10000 + "&client_secret=y", None),
        ("grant_type=client_credentials&client_id=\u00e9&client_secret=\u00e9", None),
        ("grant_type=client_credentials", "Basic %%%"),
        ("grant_type=client_credentials", "Basic " + __import__("base64").b64encode(b"\x00\xff:\xfe").decode()),
        ("grant_type=client_credentials", "Basic " + __import__("base64").b64encode(b"a\x00b:c").decode()),
        ("grant_type=client_credentials&grant_type=password", None),
        ("grant_type=" + ECHO, None),
        ("%ff%fe=1", None),
    ],
)
def test_a_bad_token_request_is_a_4xx_without_an_echo(idva_system, body, authorization):
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = Client().post(TOKEN_URL, body, content_type="application/x-www-form-urlencoded", **extra)
    assert 400 <= response.status_code < 500, response.content[:300]
    assert ECHO.encode() not in response.content


def test_a_token_request_with_the_secret_in_the_query_string_gets_no_token(idva_system):
    response = Client().post(
        f"{TOKEN_URL}?client_id={idva_system.client_id}&client_secret={idva_system.secret}",
        "grant_type=client_credentials",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (400, 401)
    assert "access_token" not in response.json()


@pytest.mark.parametrize("body", [b"[]", b'{"status": []}', b'{"status": "done", "note": "\\u0000x"}', b'{"note": ' + b'"x' * 1 + b'"}'])
def test_a_bad_action_update_is_a_problem_never_a_500(idva_system, body):
    response = idva_system.patch("/api/v1/actions/1/", body)
    assert 400 <= response.status_code < 500


# --- Keys expire on a schedule ----------------------------------------------------------------


def test_idempotency_keys_are_expired_by_a_scheduled_task(idva_system):
    from datetime import timedelta

    from django.utils import timezone

    from api.services import IDEMPOTENCY_HOURS
    from api.tasks import expire_idempotency_keys
    from marac.celery import app
    from marac.schedules import BEAT_SCHEDULE

    app.loader.import_default_modules()
    assert "api.tasks.expire_idempotency_keys" in {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert "api.tasks.expire_idempotency_keys" in app.tasks
    idva_system.submit(key="old")
    idva_system.submit(key="new")
    IdempotencyKey.objects.filter(pk=IdempotencyKey.objects.order_by("pk").first().pk).update(
        created_at=timezone.now() - timedelta(hours=IDEMPOTENCY_HOURS, minutes=1)
    )
    assert expire_idempotency_keys.apply().get() == 1
    assert IdempotencyKey.objects.count() == 1
    assert Referral.objects.count() == 2  # the referrals stay


def test_the_service_account_cannot_sign_in_even_with_a_password_set_by_hand(idva_system):
    account = idva_system.partner.service_user
    account.set_password("a-long-password-set-by-an-admin")
    account.save()
    web = Client()
    response = web.post("/sign-in/", {"username": account.username, "password": "a-long-password-set-by-an-admin"})
    assert response.status_code == 200  # the form again, with the one error for every failure
    assert "_auth_user_id" not in web.session
