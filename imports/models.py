"""What the web import keeps between the check and the confirm (ADR 0029): the cells read from the
uploaded file, sealed under a fresh key wrapped by the keyring (marac/security/documents.py),
tied to the person who uploaded it and the area, for 30 minutes at most. Deleted on confirm, on
cancel and, if neither comes, by the periodic job (imports.tasks). The file itself is never kept."""

import uuid

from django.conf import settings
from django.db import models

from marac.models import MaracArea


class PendingImport(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    area = models.ForeignKey(MaracArea, on_delete=models.CASCADE, related_name="+")
    good_rows_only = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    kek_id = models.CharField(max_length=64)
    wrapped_key = models.BinaryField()
    sealed_rows = models.BinaryField()

    def __str__(self) -> str:
        return f"Import checked by user {self.uploaded_by_id} for area {self.area_id}"

    @property
    def context(self) -> str:
        """Binds the sealed cells to this row, its uploader and area: moved, they fail to open."""
        return f"marac:pending-import:v1|{self.uuid}|{self.uploaded_by_id}|{self.area_id}"
