from unittest import mock

from django.db import DatabaseError
from django.test import override_settings


def test_healthy_service_answers_200_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@override_settings(MARAC_KEYRING=None)
def test_missing_keys_answer_503_without_detail(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable"


def test_database_failure_answers_503_without_detail(client, db):
    with mock.patch("marac.views.connection.cursor", side_effect=DatabaseError("connection refused to db.internal")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable"
