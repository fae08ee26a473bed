"""The administrator's screen for partner clients (ADR 0030). Clients are added with
`manage.py api_client_add`, which prints the secret once: no screen ever shows a secret, so this
one cannot add a client. It changes a client's name and areas, and revokes clients.

django-oauth-toolkit's own screens are removed: editing an application there (its grant type, its
secret) would go round the rules this app keeps."""

from django.contrib import admin, messages
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from api.clients import partner_client_areas_set, partner_client_revoke
from api.models import PartnerClient
from marac.admin import RoleAdminMixin

for model in (get_application_model(), get_access_token_model(), get_refresh_token_model(), get_grant_model(), get_id_token_model()):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(PartnerClient)
class PartnerClientAdmin(RoleAdminMixin, admin.ModelAdmin):
    list_display = ["name", "agency", "is_active", "created_at", "revoked_at"]
    list_filter = ["is_active", "agency"]
    fields = ["name", "agency", "areas", "client_id", "is_active", "created_by", "created_at", "revoked_at"]
    readonly_fields = ["agency", "client_id", "is_active", "created_by", "created_at", "revoked_at"]
    filter_horizontal = ["areas"]
    actions = ["revoke"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # manage.py api_client_add: the secret is printed once, never shown on a page

    @admin.display(description="Client id")
    def client_id(self, obj: PartnerClient) -> str:
        return obj.application.client_id

    def save_related(self, request, form, formsets, change) -> None:
        # The areas decide the service account's memberships: changed together, by the service.
        partner_client_areas_set(client=form.instance, areas=form.cleaned_data["areas"], by=request.user)

    @admin.action(description="Revoke the selected clients: their tokens stop working at once")
    def revoke(self, request, queryset) -> None:
        for client in queryset.filter(is_active=True):
            partner_client_revoke(client=client, by=request.user)
        messages.success(request, "Revoked.")
