"""Key storage for envelope encryption and blind-index entries for matching (DESIGN 4.1, 4.3).

Neither table holds anything readable: data keys are stored only wrapped by a key-encryption key
from configuration, and blind-index entries are truncated HMACs under keys kept apart from the
encryption keys.
"""

import uuid

from django.db import models


class DataKey(models.Model):
    """One case's data key (DEK), wrapped by a key-encryption key (KEK) from the keyring.

    Wrapping binds the DEK to its case and to the KEK id, so a wrapped key copied to another
    case, or relabelled with another KEK id, fails to unwrap. Shredding clears `wrapped`: every
    value ever encrypted under this key, live, in history or in a backup taken afterwards, is then
    unreadable (backups taken before keep the wrapped key: see SECURITY.md).
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case_uuid = models.UUIDField(unique=True, editable=False)
    kek_id = models.CharField(max_length=64)
    wrapped = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    shredded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["kek_id"], name="datakey_kek_idx")]

    def __str__(self) -> str:
        return f"Data key {self.uuid} ({'shredded' if self.shredded_at else self.kek_id})"


class BlindIndexEntry(models.Model):
    """A truncated HMAC of a normalised value (say, name and date of birth), for finding equal
    values across cases and areas without decrypting anything."""

    index_name = models.CharField(max_length=40)
    digest = models.BinaryField(max_length=16)
    case_uuid = models.UUIDField(db_index=True)
    subject_uuid = models.UUIDField(db_index=True)  # the row the value came from, e.g. a victim

    class Meta:
        indexes = [models.Index(fields=["index_name", "digest"], name="blindindex_lookup_idx")]

    def __str__(self) -> str:
        return f"Blind-index entry {self.pk} in {self.index_name}"  # never the digest: it links rows
