"""django-oauth-toolkit's validator, narrowed to this API (ADR 0030): the client-credentials grant
only, and only for a partner client that is still active, so a revoked client gets no new token
even while its application row is kept for the audit trail."""

from oauth2_provider.oauth2_validators import OAuth2Validator

from api.models import PartnerClient

GRANT_TYPE = "client_credentials"


class PartnerOAuth2Validator(OAuth2Validator):
    def _load_application(self, client_id, request):
        # No client id holds a NUL, and PostgreSQL refuses one in a query (a DataError the
        # toolkit does not catch): it is no client, refused as any unknown one is (401, not 500).
        if client_id is None or "\x00" in str(client_id):
            return None
        return super()._load_application(client_id, request)

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        if not super().authenticate_client(request, *args, **kwargs):
            return False
        return PartnerClient.objects.filter(application=request.client, is_active=True, service_user__is_active=True).exists()

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs) -> bool:
        return grant_type == GRANT_TYPE and super().validate_grant_type(client_id, grant_type, client, request, *args, **kwargs)
