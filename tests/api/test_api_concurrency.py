"""Retries of one submission racing each other (a partner system that timed out and tried again at
once) make one referral: the others wait on the idempotency key's row and answer with the first
response. PostgreSQL only: SQLite has one writer at a time."""

import json

import pytest

PARALLEL_RETRIES = """
import base64, json, threading, django
django.setup()
from django.db import connection
from django.test import Client
from api.clients import partner_client_add
from marac.models import Agency, AgencyKind, MaracArea
from referrals.models import Referral
from tests.api.conftest import referral_body

area = MaracArea.objects.create(name="North West Leicestershire", short_code="NWL")
idva = Agency.objects.create(name="IDVA", kind=AgencyKind.IDVA)
_, client_id, secret = partner_client_add(name="IDVA system", agency=idva, areas=[area], by=None)
basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
token = Client().post(
    "/api/v1/oauth/token/", "grant_type=client_credentials", content_type="application/x-www-form-urlencoded",
    HTTP_AUTHORIZATION=f"Basic {basic}",
).json()["access_token"]
body, answers, start = json.dumps(referral_body()), [], threading.Barrier(6)

def submit():
    start.wait()
    try:
        response = Client().post(
            "/api/v1/referrals/", body, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_IDEMPOTENCY_KEY="one-referral",
        )
        answers.append((response.status_code, response.json().get("id")))
    finally:
        connection.close()

threads = [threading.Thread(target=submit) for _ in range(6)]
[thread.start() for thread in threads]
[thread.join() for thread in threads]
print(json.dumps({"answers": sorted(answers), "referrals": Referral.objects.count()}))
"""


@pytest.mark.django_db
def test_racing_retries_of_one_submission_make_one_referral():
    from django.db import connection

    from tests.scratch_db import python_in_scratch_postgres

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; CI runs this on PostgreSQL too (make test with DATABASE_URL)")
    found = json.loads(python_in_scratch_postgres(PARALLEL_RETRIES).splitlines()[-1])
    assert found["referrals"] == 1
    statuses = [status for status, _ in found["answers"]]
    assert sorted(statuses) == [200] * 5 + [201]
    assert len({made for _, made in found["answers"]}) == 1
