"""Partner clients for the API's tests: the IDVA service's system in North West Leicestershire and
the police's system in Charnwood, each with a token, and a body for a referral that meets the
visible-high-risk criterion."""

import base64
import copy
import uuid
from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from api.clients import partner_client_add
from marac.models import Role
from meetings import services as meetings
from referrals.checklists import CURRENT
from tests.conftest import make_person
from tests.meetings.conftest import advance

TOKEN_URL = "/api/v1/oauth/token/"

REFERRAL = {
    "area": "NWL",
    "victim": {"name": "Kerry Ashworth", "date_of_birth": "1990-06-01", "address": "5 Meadow Lane, Greenhill"},
    "checklist": {"version": CURRENT.version, "answers": {q.id: {"answer": "yes", "note": ""} for q in CURRENT.questions}},
    "consent": "given",
    "voice": {"victim_aware": "yes", "victim_views": "She wants the children kept safe."},
}


def referral_body(**changes) -> dict:
    body = copy.deepcopy(REFERRAL)
    body.update(changes)
    return body


class ApiClient:
    """A partner system as the API sees it: its client id and secret, and a token once asked."""

    def __init__(self, partner, client_id: str, secret: str):
        self.partner, self.client_id, self.secret = partner, client_id, secret
        self.http = Client()
        self.token = ""

    def get_token(self) -> str:
        basic = base64.b64encode(f"{self.client_id}:{self.secret}".encode()).decode()
        response = self.http.post(
            TOKEN_URL,
            "grant_type=client_credentials",
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=f"Basic {basic}",
        )
        assert response.status_code == 200, response.content
        self.token = response.json()["access_token"]
        return self.token

    def _auth(self) -> dict:
        if not self.token:
            self.get_token()
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"}

    def get(self, url: str, **extra):
        return self.http.get(url, **{**self._auth(), **extra})

    def post(self, url: str, body, *, key: str | None = None, **extra):
        headers = {**self._auth(), **extra}
        if key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = key
        return self.http.post(url, body, content_type="application/json", **headers)

    def submit(self, body: dict | None = None, *, key: str | None = None):
        return self.post("/api/v1/referrals/", body or referral_body(), key=key or str(uuid.uuid4()))

    def patch(self, url: str, body, **extra):
        return self.http.patch(url, body, content_type="application/json", **{**self._auth(), **extra})


@pytest.fixture(autouse=True)
def quick_client_secrets(settings):
    """Client secrets hashed with a fast hasher in these tests. Production hashes them as it hashes
    passwords, with Argon2 (test_api_clients checks the setting), about a second a hash on CI's
    machine; with two clients made and a token asked for in most tests here, that was most of
    the API tests' time on each leg."""
    settings.PASSWORD_HASHERS = [*settings.PASSWORD_HASHERS, "django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "CLIENT_SECRET_HASHER": "md5"}


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    """Rate-limit counters live in the cache, which outlives a test's database: start each at zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def idva_system(area, idva):
    partner, client_id, secret = partner_client_add(name="IDVA case system", agency=idva, areas=[area], by=None)
    return ApiClient(partner, client_id, secret)


@pytest.fixture
def police_system(other_area, police):
    partner, client_id, secret = partner_client_add(name="Police case system", agency=police, areas=[other_area], by=None)
    return ApiClient(partner, client_id, secret)


@pytest.fixture
def other_coordinator(other_area, police):
    return make_person("other_coordinator", Role.COORDINATOR, police, other_area)


def actions_for(*, case, area, owners, coordinator, chair, agencies, description="Refer to the housing panel") -> list:
    """An action for each agency in `owners` on `case` (already accepted), from one meeting whose
    minutes are issued."""
    meeting = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=21),
        venue="Room",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=agencies,
        by=coordinator,
    )
    meetings.agenda_build(meeting=meeting, by=coordinator)
    meetings.agenda_issue(meeting=meeting, by=coordinator)
    advance(meeting=meeting, by=chair)
    made = [
        meetings.action_add(
            meeting=meeting,
            case=case,
            agency=agency,
            owner_role="duty_officer",
            description=description,
            due_on=date.today() + timedelta(days=7),
            by=chair,
        )
        for agency in owners
    ]
    advance(meeting=meeting, by=chair)
    meetings.minutes_issue(meeting=meeting, by=coordinator)
    return made
