"""Cases and victims. Personal data lives only in encrypted fields under the case's data key,
with the field policy in marac/security/policy.py saying who may read and write each one.

The Referrals issue adds perpetrators, households, risk assessments, referrals and incidents.
"""

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from marac.models import Agency, MaracArea
from marac.security.fields import EncryptedDateField, EncryptedJSONField, EncryptedModel, EncryptedTextField
from marac.security.models import DataKey


class Case(models.Model):
    """One victim with their perpetrator(s) in one MARAC area, under one data key."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        SHREDDED = "shredded", "Erased"

    uuid = models.UUIDField(unique=True, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="cases")
    referring_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referred_cases")
    data_key = models.OneToOneField(DataKey, on_delete=models.PROTECT, related_name="case")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("hear_case", "Represents an agency at the meeting hearing this case")]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_shredded(self) -> bool:
        return self.status == self.Status.SHREDDED


class Victim(EncryptedModel):
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="victim")
    name = EncryptedTextField()
    aliases = EncryptedJSONField(default=list, help_text="Other names the victim is known by.")
    date_of_birth = EncryptedDateField(blank=True)
    alternative_dates_of_birth = EncryptedJSONField(default=list)
    address = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    email = EncryptedTextField(blank=True)
    safe_address = EncryptedTextField(blank=True, help_text="Where it is safe to write or visit.")
    safe_phone = EncryptedTextField(blank=True, help_text="A number on which it is safe to call.")
    safe_times = EncryptedTextField(blank=True, help_text="When it is safe to make contact.")
    do_not_contact_via = EncryptedTextField(blank=True, help_text="Ways never to make contact, and why.")
    # Raw ciphertext copied from the live row; see marac.apps for the signal that does it.
    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Victim in {self.case_id}"  # never the name: __str__ ends up in logs and admin


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key object permissions (faster and safer than guardian's generic ones):
    granted when a person's agency is invited to the meeting hearing the case."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
