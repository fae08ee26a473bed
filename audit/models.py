"""The access log: who read which case's data, which fields, why, when and from where.

Events form a hash chain (audit/chain.py): each holds the previous event's hash and its own, over
a canonical serialisation, so changing, removing or inserting an event is detectable. On
PostgreSQL and SQLite, triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL). Events
hold no victim data: case references, field names, ids and addresses only.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AccessEvent(models.Model):
    class Outcome(models.TextChoices):
        ALLOWED = "allowed"
        DENIED = "denied"
        INTEGRITY_FAILURE = "integrity_failure"

    sequence = models.BigIntegerField(unique=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(max_length=60)
    case_reference = models.CharField(max_length=40, blank=True, db_index=True)
    fields = models.JSONField(default=list)
    purpose = models.CharField(max_length=120, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.ALLOWED)
    client_ip = models.CharField(max_length=45, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"Access event {self.sequence}: {self.event} ({self.outcome})"
