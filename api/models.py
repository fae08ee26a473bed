"""Partner systems and what the API keeps about their calls (ADR 0030).

A `PartnerClient` is one partner system (a police or IDVA case system) with its OAuth2
application (client credentials only) and a service account of its own: the account holds a
referrer membership at the client's agency in each of its areas, so the API reads and writes
through the same viewer, access getters, case teams and field policy as a person would. The
account cannot sign in to the web: it has no usable password and no second factor.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from oauth2_provider.models import Application

from marac.models import Agency, MaracArea
from referrals.models import Referral


class PartnerClient(models.Model):
    """One partner system, scoped to one agency and the areas it refers in."""

    name = models.CharField(max_length=120, unique=True, help_text="The partner system, as administrators know it.")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="partner_clients")
    areas = models.ManyToManyField(MaracArea, related_name="partner_clients")
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="partner_client")
    service_user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="partner_client")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerReferral(models.Model):
    """A referral a partner system submitted, under the opaque id the API gives it (never the
    referral's sequential key)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    client = models.ForeignKey(PartnerClient, on_delete=models.PROTECT, related_name="referrals")
    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Partner referral {self.uuid}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a client sent with a submission that succeeded: a keyed digest of
    the body (never its values) and what it made, so a retry returns the first response and a
    different body under the same key is refused. Kept for IDEMPOTENCY_HOURS."""

    client = models.ForeignKey(PartnerClient, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    request_digest = models.CharField(max_length=64)
    response_digest = models.CharField(max_length=64, blank=True)
    partner_referral = models.ForeignKey(PartnerReferral, null=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="one_idempotency_key_per_client")]

    def __str__(self) -> str:
        return f"Idempotency key {self.pk} of client {self.client_id}"
