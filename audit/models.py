"""The access log: who read which case's data, which fields, why, when and from where.

Events form a hash chain (audit/chain.py): each holds the previous event's hash and its own, over
a canonical serialisation, so changing, removing or inserting an event is detectable. On
PostgreSQL and SQLite, triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL). Events
hold no victim data: case references, field names, ids and addresses only.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    # A record holding victim data as it was written (ADR 0023): which row, its version and a
    # digest of its ciphertexts, so a whole row put back from a backup shows against the chain.
    # NULL on every other event. Nullable, so adding them rebuilt no table (SQLite would have
    # dropped the append-only triggers with the old one) and old events hash as they always did.
    row_model = models.CharField(max_length=60, null=True, blank=True)  # noqa: DJ001  # NULL: not a row event
    row_id = models.BigIntegerField(null=True, blank=True)
    row_version = models.PositiveIntegerField(null=True, blank=True)
    row_digest = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001  # as row_model

    class Meta:
        ordering = ["-sequence"]
        # The latest entry for each row, streamed in row order by verify_rows; only row events.
        indexes = [
            models.Index(fields=["row_model", "row_id", "sequence"], name="audit_row_latest_idx", condition=Q(row_model__isnull=False))
        ]

    def __str__(self) -> str:
        return f"Access event {self.sequence}: {self.event} ({self.outcome})"
