"""Keeping a checked file's cells, sealed, until the coordinator confirms or cancels (ADR 0029).

Only the cells read (the column names and each row's text) are kept: what the confirm needs to
check the rows again and import them. Sealed under a random key wrapped by the keyring's primary
key, bound to the row, the uploader and the area; never under any case's key (the cases do not
exist yet). Expired rows are deleted by `pending_forget_expired`, every few minutes."""

import json
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from imports.models import PendingImport
from imports.reading import Sheet
from marac.models import MaracArea, User
from marac.security.documents import Sealed, seal, unseal

KEEP_FOR = timedelta(minutes=30)
# Checked files one person keeps waiting at most: each holds up to 10 MB of cells, so checking
# files again and again would otherwise fill the database for half an hour at a time.
KEPT_PER_PERSON = 3


@transaction.atomic
def pending_create(*, sheet: Sheet, area: MaracArea, by: User, good_rows_only: bool) -> PendingImport:
    """The cells kept for the confirm; the person's older checks beyond the newest few are forgotten."""
    pending = PendingImport(uploaded_by=by, area=area, good_rows_only=good_rows_only, expires_at=timezone.now() + KEEP_FOR)
    cells = json.dumps({"header": sheet.header, "rows": sheet.rows, "notices": sheet.notices}).encode()
    sealed = seal(cells, data_keys=(), context=pending.context)
    pending.kek_id, pending.wrapped_key, pending.sealed_rows = sealed.kek_id, sealed.wrapped_key, sealed.ciphertext
    # The person's row locked first: two checks at once would each see only their own new row and
    # keep one too many each. Nothing else is locked, nor written to the log, in this transaction.
    User.objects.select_for_update().filter(pk=by.pk).values_list("pk").first()
    pending.save()
    theirs = PendingImport.objects.filter(uploaded_by=by)
    newest = list(theirs.order_by("-created_at", "-pk").values_list("pk", flat=True)[:KEPT_PER_PERSON])
    theirs.exclude(pk__in=newest).delete()
    return pending


def pending_sheet(pending: PendingImport) -> Sheet:
    """The cells as they were checked. IntegrityFailure if the row was tampered with or moved."""
    sealed = Sealed(kek_id=pending.kek_id, wrapped_key=bytes(pending.wrapped_key), ciphertext=bytes(pending.sealed_rows))
    cells = json.loads(unseal(sealed, data_keys=(), context=pending.context))
    return Sheet(header=cells["header"], rows=[(number, row) for number, row in cells["rows"]], notices=cells["notices"])


def pending_forget(*, pending: PendingImport) -> None:
    PendingImport.objects.filter(pk=pending.pk).delete()


@transaction.atomic
def pending_forget_expired() -> int:
    deleted, _ = PendingImport.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
