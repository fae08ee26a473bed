"""One fast path for writing new rows in bulk: the case importer and `seed_scale` (issue 19).

Rows holding victim data are encrypted as every save encrypts them (under their case's data key,
bound to their row and version) and each gets its entry in the audit chain (ADR 0023); no history
rows and no per-row access events are written, so callers record one access event for the whole
load. This first version writes with bulk_create; the PostgreSQL path writes with COPY.
"""

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from django.db import models, transaction

from marac.security.fields import EncryptedModel
from marac.security.row_versions import rows_written

if TYPE_CHECKING:
    from django.contrib.auth.models import _User

BATCH = 1000  # rows per statement
Row = TypeVar("Row", bound=models.Model)


def rows_insert(rows: Sequence[Row], *, by: "_User | None", purpose: str, progress: Callable[[int], None] | None = None) -> list[Row]:
    """Insert new rows of one model, in batches, and return them with their ids. Encrypted rows
    are encrypted first and recorded in the audit chain. `progress(n)` is told after each batch.
    Call it inside the load's transaction."""
    if not rows:
        return []
    model = type(rows[0])
    encrypted = issubclass(model, EncryptedModel)
    written: list[Row] = []
    with transaction.atomic():
        for start in range(0, len(rows), BATCH):
            batch = list(rows[start : start + BATCH])
            if encrypted:
                for row in batch:
                    row.encrypt_for_write()  # type: ignore[attr-defined]
            batch = model._default_manager.bulk_create(batch)
            if encrypted:
                rows_written(batch, by=by, purpose=purpose)  # type: ignore[arg-type]
            written += batch
            if progress is not None:
                progress(len(batch))
    return written
