"""Who is calling: a bearer token from the token endpoint, of an active partner client (ADR 0030).

Only a token authenticates the API: a person's session cookie does not (no session
authentication is configured), and a token does not authenticate the web pages (the session
middleware knows nothing of it). The request gets the viewer of the client's service account,
so every access getter scopes the client as it scopes a referrer of its agency in its areas.
"""

from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions

from api.models import PartnerClient
from marac.models import Role
from marac.viewer import Viewer


class PartnerClientAuthentication(OAuth2Authentication):
    www_authenticate_realm = "marac-partner-api"

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        _, token = found
        client = (
            PartnerClient.objects.select_related("service_user", "agency")
            .filter(application_id=token.application_id, is_active=True, service_user__is_active=True)
            .first()
        )
        if client is None:  # revoked between issuing the token and this call
            raise exceptions.AuthenticationFailed("The access token is not valid")
        django_request = request._request
        django_request.partner_client = client
        django_request.viewer = client_viewer(client)
        return client.service_user, token


def client_viewer(client: PartnerClient) -> Viewer:
    """The service account's viewer, holding only what the client is for: a referrer membership
    at its agency in one of its areas. A membership given to the account by other means (the
    people's admin screens, a coordinator's role) widens nothing the API shows."""
    areas = set(client.areas.values_list("pk", flat=True))
    kept = [
        membership
        for membership in client.service_user.active_memberships()
        if membership.role == Role.REFERRER and membership.agency_id == client.agency_id and membership.area_id in areas
    ]
    return Viewer(client.service_user, kept)


def partner_client_of(request) -> PartnerClient:
    """The calling client (set by the authentication above)."""
    return request._request.partner_client if hasattr(request, "_request") else request.partner_client
