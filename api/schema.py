"""The schema's extras (ADR 0030): the OAuth2 client-credentials security scheme, and the problem
details every operation can answer with, so a schema-driven test (schemathesis) finds every
answer documented."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

PROBLEM = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": True},
    },
    "required": ["type", "title", "status", "detail"],
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}
PROBLEMS = {
    "400": "Malformed request (not JSON, say)",
    "401": "No valid access token",
    "403": "This client may not do this",
    "404": "Not found, or not this client's (the same answer); also every URL while the API is off",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "A submission with this Idempotency-Key is still in progress: retry shortly",
    "413": "Request body too large",
    "415": "Unsupported media type",
    "422": "Invalid input: see errors",
    "429": "Rate limit reached: see Retry-After",
}


class PartnerClientScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.PartnerClientAuthentication"
    name = "partnerClient"

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": "/api/v1/oauth/token/", "scopes": {"partner": "The partner API"}}},
        }


def problem_responses(result, generator, request, public):
    """Adds the problem+json answers to every operation, and says that request bodies take no
    other fields (drf-spectacular postprocessing hook)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for name, schema in schemas.items():
        if name.endswith("Request") and schema.get("type") == "object":
            schema["additionalProperties"] = False  # input is strict: an unknown field is refused (422)
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            for code, description in PROBLEMS.items():
                content = {"application/problem+json": {"schema": PROBLEM}}
                entry = responses.setdefault(code, {"description": description, "content": {}})
                entry.setdefault("content", {}).update(content)
                if code == "429":
                    entry["headers"] = RETRY_AFTER
    return result
