"""Data keys: create one per case, unwrap it to read, re-wrap on rotation, destroy to shred."""

import logging
import os
import uuid

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from marac.security import crypto
from marac.security.keyring import Keyring, KeyringError
from marac.security.models import DataKey

logger = logging.getLogger("marac.security")


class DataKeyShredded(crypto.IntegrityFailure):
    """The case's key was destroyed: its records are erased by design."""


def _wrap_context(case_uuid: uuid.UUID, key_uuid: uuid.UUID, kek_id: str) -> bytes:
    return f"marac:dek:v1|{case_uuid}|{key_uuid}|{kek_id}".encode()


def data_key_create(*, case_uuid: uuid.UUID) -> DataKey:
    """A fresh random 256-bit key for a new case, stored only wrapped by the primary KEK."""
    key = data_key_new(case_uuid=case_uuid)
    key.save()
    return key


def data_key_new(*, case_uuid: uuid.UUID) -> DataKey:
    """data_key_create without the save, for bulk_create of synthetic data at scale."""
    keyring = settings.MARAC_KEYRING
    key = DataKey(case_uuid=case_uuid, kek_id=keyring.primary_id)
    plain = os.urandom(crypto.KEY_BYTES)
    key.wrapped = crypto.encrypt(keyring.primary_key, plain, _wrap_context(case_uuid, key.uuid, key.kek_id))
    return key


def data_keys_new(*, case_uuids: list[uuid.UUID]) -> list[DataKey]:
    """data_key_new for many cases at once (bulk loads): each key random and wrapped, bound to its
    case, exactly as one at a time, under one cipher. Each unwrapped key stays on its own instance
    only, as data_key_bytes keeps it, so encrypting the new case's rows does not unwrap it again."""
    keyring = settings.MARAC_KEYRING
    # The keys, their ids and their nonces each from one read of the system's random source.
    ids = crypto.random_uuids(len(case_uuids))
    keys = [
        DataKey(uuid=key_uuid, case_uuid=case_uuid, kek_id=keyring.primary_id) for key_uuid, case_uuid in zip(ids, case_uuids, strict=True)
    ]
    pool = os.urandom(crypto.KEY_BYTES * len(keys))
    plains = [pool[at : at + crypto.KEY_BYTES] for at in range(0, len(pool), crypto.KEY_BYTES)]
    wrapped = crypto.encrypt_many(
        keyring.primary_key, [(plain, _wrap_context(key.case_uuid, key.uuid, key.kek_id)) for key, plain in zip(keys, plains, strict=True)]
    )
    for key, plain, sealed in zip(keys, plains, wrapped, strict=True):
        key.wrapped = sealed
        key.__dict__["_marac_dek"] = (sealed, key.kek_id, plain)
    return keys


def data_key_bytes(key: DataKey) -> bytes:
    """The plaintext DEK. Raises DataKeyShredded or IntegrityFailure; never returns garbage."""
    if key.wrapped is None:
        raise DataKeyShredded("the case's data key was destroyed")
    # Kept on this instance only (one request's objects), never in a process-wide cache, so a
    # shredded case's key does not linger in memory after the objects that used it are gone.
    cached = key.__dict__.get("_marac_dek")
    if cached is not None and cached[0] is key.wrapped and cached[1] == key.kek_id:
        return cached[2]
    try:
        kek = settings.MARAC_KEYRING.key(key.kek_id)
    except KeyringError as error:
        raise crypto.IntegrityFailure(str(error)) from None  # handled (and recorded) like tampering
    dek = crypto.decrypt(kek, bytes(key.wrapped), _wrap_context(key.case_uuid, key.uuid, key.kek_id))
    key.__dict__["_marac_dek"] = (key.wrapped, key.kek_id, dek)
    return dek


@transaction.atomic
def data_key_shred(*, key: DataKey) -> None:
    """Destroy the DEK. Irreversible by design: this is how retention and erasure are enforced."""
    DataKey.objects.filter(pk=key.pk).update(wrapped=None, shredded_at=timezone.now())
    key.refresh_from_db()
    logger.info("data_key_shredded key=%s", key.uuid)


def data_keys_rotate(*, batch_size: int = 2000) -> dict[str, int]:
    """Re-wrap every data key not under the primary KEK, without touching any field ciphertext.

    Each batch commits on its own, so an interrupted run leaves every key readable (each row is
    wrapped under one key or the other, with its kek_id saying which) and a re-run picks up the
    rest. Returns how many keys were re-wrapped and how many remain under each KEK.
    """
    keyring = settings.MARAC_KEYRING
    rewrapped = 0
    while batch := list(
        DataKey.objects.filter(wrapped__isnull=False)
        .exclude(kek_id=keyring.primary_id)
        .values_list("pk", "uuid", "case_uuid", "kek_id", "wrapped")[:batch_size]
    ):
        rows = [_rewrapped_row(keyring, *row) for row in batch]
        with transaction.atomic(), connection.cursor() as cursor:
            # DataKey has no history and no audit trail of its own: a plain batched UPDATE keeps
            # rotation at tens of thousands of keys a second (bench/rotate_keys.py). The WHERE
            # matches only a row still as it was read: a key shredded (or rotated by another run)
            # since then is left alone, never brought back.
            table = connection.ops.quote_name(DataKey._meta.db_table)
            cursor.executemany(
                # The table name is the model's own, quoted; every value is a parameter.
                f"UPDATE {table} SET kek_id = %s, wrapped = %s "  # noqa: S608  # nosec B608
                "WHERE id = %s AND kek_id = %s AND wrapped IS NOT NULL",
                rows,
            )
        rewrapped += len(rows)
    return {"rewrapped": rewrapped, **data_keys_by_kek()}


def _rewrapped_row(
    keyring: Keyring, pk: int, key_uuid: uuid.UUID, case_uuid: uuid.UUID, kek_id: str, wrapped: bytes | memoryview | None
) -> tuple[str, bytes, int, str]:
    if wrapped is None:  # the batch selects wrapped keys only; a shredded one has nothing to re-wrap
        raise DataKeyShredded("the case's data key was destroyed")
    plain = crypto.decrypt(keyring.key(kek_id), bytes(wrapped), _wrap_context(case_uuid, key_uuid, kek_id))
    new = crypto.encrypt(keyring.primary_key, plain, _wrap_context(case_uuid, key_uuid, keyring.primary_id))
    return (keyring.primary_id, new, pk, kek_id)


def data_keys_by_kek() -> dict[str, int]:
    """How many live data keys each KEK wraps: a KEK at zero can be retired."""
    rows = DataKey.objects.filter(wrapped__isnull=False).values("kek_id").annotate(count=Count("pk"))
    return {row["kek_id"]: row["count"] for row in rows.order_by("kek_id")}
