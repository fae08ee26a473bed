"""The OpenAPI schema: served while the API is on, valid OpenAPI 3, documenting each endpoint with
the client-credentials scheme and the problem details every call may answer with."""

import pytest
import yaml
from django.test import Client

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_without_a_token_once_the_api_is_on(idva_system):
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/v1/oauth/token/",
        "/api/v1/referrals/",
        "/api/v1/referrals/{public_id}/",
        "/api/v1/actions/",
        "/api/v1/actions/{id}/",
    }
    flows = schema["components"]["securitySchemes"]["partnerClient"]["flows"]
    assert flows == {"clientCredentials": {"tokenUrl": "/api/v1/oauth/token/", "scopes": {"partner": "The partner API"}}}
    submit = schema["paths"]["/api/v1/referrals/"]["post"]
    assert {"201", "422", "429", "401"} <= set(submit["responses"])
    assert [p["name"] for p in submit["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]


def test_the_schema_validates_as_openapi(idva_system):
    from drf_spectacular.validation import validate_schema

    validate_schema(yaml.safe_load(Client().get("/api/v1/schema/").content))
