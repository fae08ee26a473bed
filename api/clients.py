"""Partner clients: adding one, changing its areas, revoking it (ADR 0030).

Each client is an OAuth2 application (client credentials only, secret stored hashed) and a
service account holding a referrer membership at the client's agency in each of its areas. The
service account cannot sign in to the web: its password is unusable and it has no second factor.
"""

import uuid
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, Application, RefreshToken

import audit
from api.models import PartnerClient
from marac.models import Agency, MaracArea, Membership, Role, User

SERVICE_ACCOUNT_FIRST_NAME = "Partner system"


def _service_user_create(*, name: str) -> User:
    """An account for the client that no person can sign in with, and no email reaches."""
    user = User(username=f"partner-{uuid.uuid4().hex[:16]}", first_name=SERVICE_ACCOUNT_FIRST_NAME, last_name=name[:150], email="")
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def partner_client_add(*, name: str, agency: Agency, areas: Iterable[MaracArea], by: User | None) -> tuple[PartnerClient, str, str]:
    """A new client: (client, client id, client secret). The secret is returned this once and
    stored only as a hash; nobody can read it again."""
    areas = list(areas)
    name = name.strip()
    if not name or len(name) > 120:
        raise ValidationError("Give the client a name of 120 characters or fewer")
    if not areas:
        raise ValidationError("Give the client at least one area")
    if PartnerClient.objects.filter(name=name).exists():
        raise ValidationError("A client with this name exists already")
    secret = generate_client_secret()
    service_user = _service_user_create(name=name)
    application = Application(
        name=f"Partner API: {name}"[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        client_secret=secret,
        hash_client_secret=True,
        user=service_user,
        redirect_uris="",
    )
    application.full_clean()
    application.save()
    client = PartnerClient.objects.create(name=name, agency=agency, application=application, service_user=service_user, created_by=by)
    _areas_set(client, areas)
    audit.record(event="api_client_added", user=by, purpose=f"partner client {client.pk}: {len(areas)} areas")
    return client, application.client_id, secret


def _areas_set(client: PartnerClient, areas: list[MaracArea]) -> None:
    """The client's areas, and its service account's referrer membership in each (active only
    while the client is), so every access getter scopes it as it scopes a referrer."""
    client.areas.set(areas)
    wanted = {area.pk for area in areas}
    for area in areas:
        membership, _ = Membership.objects.get_or_create(user=client.service_user, agency=client.agency, area=area, role=Role.REFERRER)
        if membership.is_active != client.is_active:
            membership.is_active = client.is_active
            membership.save()
    for membership in Membership.objects.filter(user=client.service_user, is_active=True).exclude(area_id__in=wanted):
        membership.is_active = False
        membership.save()


@transaction.atomic
def partner_client_areas_set(*, client: PartnerClient, areas: Iterable[MaracArea], by: User | None) -> PartnerClient:
    areas = list(areas)
    if not areas:
        raise ValidationError("Give the client at least one area")
    client = PartnerClient.objects.select_for_update().select_related("service_user", "agency").get(pk=client.pk)
    _areas_set(client, areas)
    audit.record(event="api_client_changed", user=by, purpose=f"partner client {client.pk}: {len(areas)} areas")
    return client


@transaction.atomic
def partner_client_revoke(*, client: PartnerClient, by: User | None) -> PartnerClient:
    """Turn a client off at once: its tokens are deleted (a token already handed out stops
    working on its next call), its account and memberships are deactivated. Its referrals and
    the audit trail stay."""
    client = PartnerClient.objects.select_for_update().select_related("service_user", "application").get(pk=client.pk)
    client.is_active, client.revoked_at = False, client.revoked_at or timezone.now()
    client.save(update_fields=["is_active", "revoked_at"])
    RefreshToken.objects.filter(application=client.application).delete()
    AccessToken.objects.filter(application=client.application).delete()
    for membership in Membership.objects.filter(user=client.service_user, is_active=True):
        membership.is_active = False
        membership.save()
    client.service_user.is_active = False
    client.service_user.save(update_fields=["is_active"])
    audit.record(event="api_client_revoked", user=by, purpose=f"partner client {client.pk}")
    return client


def api_is_on() -> bool:
    """The API answers only while at least one client is configured and active."""
    return PartnerClient.objects.filter(is_active=True).exists()
