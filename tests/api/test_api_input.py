"""Bad input to the partner API: each is a clear problem+json answer naming what is wrong, never a
500, never a stack trace, never a value that was sent; nothing is written. And the rate limits."""

import json

import pytest

from api.throttling import PartnerClientThrottle, TokenEndpointThrottle
from referrals.models import Case
from tests.api.conftest import TOKEN_URL, referral_body

pytestmark = pytest.mark.django_db

URL = "/api/v1/referrals/"


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert "Traceback" not in response.content.decode()
    return body


def test_malformed_json_is_a_400(idva_system):
    for raw in ('{"area": "NWL",', "[[[[[" * 50000, "NaN", b"\xff\xfe"):
        problem(idva_system.post(URL, raw, key="k"), 400)
    assert Case.objects.count() == 0


def test_a_huge_body_is_refused_unread(idva_system):
    huge = json.dumps(referral_body(without_consent_reason="x" * 300_000))
    problem(idva_system.post(URL, huge, key="k"), 413)


def test_other_media_types_are_refused(idva_system):
    response = idva_system.http.post(
        URL, "area=NWL", content_type="application/x-www-form-urlencoded", HTTP_AUTHORIZATION=f"Bearer {idva_system.get_token()}"
    )
    problem(response, 415)


@pytest.mark.parametrize(
    "change,field",
    [
        ({"area": 12}, "area"),
        ({"consent": True}, "consent"),
        ({"victim": {"name": 12}}, "victim"),
        ({"victim": "Kerry"}, "victim"),
        ({"victim": {"name": "K", "date_of_birth": "01/06/1990"}}, "victim"),
        ({"victim": {"name": "K", "date_of_birth": "2999-01-01"}}, "victim"),
        ({"victim": {"name": "K" * 201}}, "victim"),
        ({"checklist": {"version": "dash-2009", "answers": "yes"}}, "checklist"),
        ({"checklist": {"version": "dara-1", "answers": []}}, "checklist"),
        ({"consent": "without"}, "without_consent_reason"),
        ({"voice": {"victim_aware": "no"}}, "voice"),
        ({"professional_judgement": {"level": "standard", "rationale": "x"}}, "professional_judgement"),
        ({"surprise": 1}, "unknown_fields"),  # counted, not named: nothing sent is repeated
        ({"victim": {"name": "K", "nickname": "x"}}, "victim"),
    ],
)
def test_wrong_types_values_and_unknown_fields_are_422_naming_the_field(idva_system, change, field):
    body = problem(idva_system.submit(referral_body(**change)), 422)
    assert field in body["errors"]
    assert Case.objects.count() == 0


def test_every_question_answered_and_no_other(idva_system):
    answers = referral_body()["checklist"]["answers"]
    missing = {q: a for q, a in answers.items() if q != "injury"}
    for changed in (missing, {**answers, "made_up": {"answer": "yes"}}, {**answers, "injury": {"answer": "maybe"}}, {}):
        body = problem(idva_system.submit(referral_body(checklist={"version": "dash-2009", "answers": changed})), 422)
        assert "checklist" in body["errors"]


def test_what_was_sent_is_never_repeated_in_an_error(idva_system):
    body = referral_body(victim={"name": "Kerry Ashworth" * 20, "address": "5 Meadow Lane"}, consent="Kerry Ashworth")
    body["checklist"]["answers"]["injury"]["answer"] = "Meadow Lane"
    response = idva_system.submit(body)
    problem(response, 422)
    assert "Kerry" not in response.content.decode() and "Meadow" not in response.content.decode()


@pytest.mark.parametrize("key", [None, "", "x" * 101, "café"])
def test_a_submission_needs_a_usable_idempotency_key(idva_system, key):
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    response = idva_system.http.post(
        URL, referral_body(), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {idva_system.get_token()}", **headers
    )
    assert "Idempotency-Key" in problem(response, 422)["errors"]
    assert Case.objects.count() == 0


def test_action_updates_are_validated_like_the_form(idva_system):
    for body in ({"status": "finished"}, {"status": "done"}, {"note": 5}, {"colour": "red"}, []):
        response = idva_system.patch("/api/v1/actions/1/", body)
        assert response.status_code in (404, 422)  # no such action: the 404 comes first


def test_writes_are_limited_per_client_with_retry_after(idva_system, police_system, monkeypatch):
    monkeypatch.setattr(PartnerClientThrottle, "THROTTLE_RATES", {"api_read": "100/min", "api_write": "2/min"})
    idva_system.get_token()
    police_system.get_token()
    answers = [idva_system.post(URL, {"surprise": 1}, key=f"k{n}").status_code for n in range(3)]
    assert answers == [422, 422, 429]
    limited = idva_system.post(URL, {}, key="k9")
    assert int(problem(limited, 429)["status"]) == 429 and int(limited["Retry-After"]) > 0
    assert idva_system.get(URL).status_code == 200  # reads are counted apart
    assert police_system.post(URL, {}, key="k").status_code == 422  # and each client apart


def test_the_token_endpoint_is_limited(idva_system, monkeypatch):
    monkeypatch.setattr(TokenEndpointThrottle, "THROTTLE_RATES", {"api_token": "2/min"})
    answers = [
        idva_system.http.post(TOKEN_URL, "grant_type=client_credentials", content_type="application/x-www-form-urlencoded").status_code
        for _ in range(3)
    ]
    assert answers == [401, 401, 429]


def test_any_other_address_under_the_api_is_a_problem_404(idva_system):
    for url in (
        "/api/v1/actions/abc/",
        "/api/v1/actions/null%2Cnull/",
        "/api/v1/nothing",
        "/api/v1/referrals",
        "/api/v1/actions/99999999999999999999999/",
    ):
        problem(idva_system.get(url), 404)
        problem(idva_system.patch(url, {"note": "x"}), 404)


@pytest.mark.parametrize("page", ["", "abc", "0", "-1", "last", "1.5", "²"])
def test_a_page_is_a_whole_number_from_1(idva_system, page):
    assert "page" in problem(idva_system.get(f"/api/v1/referrals/?page={page}"), 422)["errors"]
    assert "page" in problem(idva_system.get(f"/api/v1/actions/?page={page}"), 422)["errors"]


def test_a_page_past_the_last_is_404(idva_system):
    problem(idva_system.get("/api/v1/referrals/?page=2"), 404)


def test_methods_an_endpoint_does_not_list_are_405(idva_system):
    for method, url in (("options", URL), ("delete", URL), ("put", "/api/v1/actions/1/"), ("get", "/api/v1/oauth/token/")):
        response = getattr(idva_system.http, method)(url, HTTP_AUTHORIZATION=f"Bearer {idva_system.get_token()}")
        problem(response, 405)
