"""The access log: who read which case's data, which fields, why, when and from where.

This first version stores the events; the hash chain, append-only trigger, verification
command and auditor views are built by the Audit issue on this table and the record() API.
It holds no victim data: case references, field names and ids only.
"""

from django.conf import settings
from django.db import models


class AccessEvent(models.Model):
    class Outcome(models.TextChoices):
        ALLOWED = "allowed"
        DENIED = "denied"
        INTEGRITY_FAILURE = "integrity_failure"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(max_length=60)
    case_reference = models.CharField(max_length=40, blank=True, db_index=True)
    fields = models.JSONField(default=list)
    purpose = models.CharField(max_length=120, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.ALLOWED)
    client_ip = models.CharField(max_length=45, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
