"""Blind indexes: find equal values (a victim's name and date of birth across areas) without
decrypting any record (DESIGN 4.3).

digest = HMAC-SHA256(index key, normalised value), truncated to 16 bytes (128 bits), under a key
used for nothing else. Normalising folds case, whitespace and diacritics ("Zoë  O'Brien" and
"zoe o'brien" match) and writes dates as ISO 8601. What this leaks is in SECURITY.md: anyone with
the table sees which rows share a value, though not the value.
"""

import hashlib
import hmac
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import date

from django.conf import settings
from django.db import transaction

from marac.security.models import BlindIndexEntry

DIGEST_BYTES = 16


def normalise_text(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    without_marks = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(without_marks.casefold().split())


def name_and_birth_date(name: str, born: date) -> str:
    return f"{normalise_text(name)}|{born.isoformat()}"


def digest(index_name: str, normalised: str) -> bytes:
    key = settings.MARAC_KEYRING.index_key(index_name)
    return hmac.new(key, normalised.encode("utf-8"), hashlib.sha256).digest()[:DIGEST_BYTES]


@transaction.atomic
def index_replace(*, index_name: str, case_uuid: uuid.UUID, subject_uuid: uuid.UUID, values: Iterable[str]) -> None:
    """Make the entries for one subject exactly these normalised values."""
    BlindIndexEntry.objects.filter(index_name=index_name, subject_uuid=subject_uuid).delete()
    digests = {digest(index_name, value) for value in values}
    BlindIndexEntry.objects.bulk_create(
        BlindIndexEntry(index_name=index_name, digest=d, case_uuid=case_uuid, subject_uuid=subject_uuid) for d in digests
    )


def cases_matching(*, index_name: str, values: Iterable[str]) -> set[uuid.UUID]:
    """Cases with an entry equal to any of the normalised values: one indexed lookup."""
    digests = {digest(index_name, value) for value in values}
    return {case_uuid for _, case_uuid in entries_for(index_name=index_name, digests=digests)}


def digests_of(*, index_name: str, subject_uuids: list[uuid.UUID]) -> dict[uuid.UUID, set[bytes]]:
    """The stored digests of each subject: what a match needs, without decrypting anything."""
    found: dict[uuid.UUID, set[bytes]] = {subject: set() for subject in subject_uuids}
    rows = BlindIndexEntry.objects.filter(index_name=index_name, subject_uuid__in=subject_uuids)
    for subject, digest in rows.values_list("subject_uuid", "digest"):
        found[subject].add(bytes(digest))
    return found


def entries_for(*, index_name: str, digests: set[bytes]) -> list[tuple[bytes, uuid.UUID]]:
    """(digest, case uuid) for every entry equal to one of the digests: one indexed query."""
    if not digests:
        return []
    rows = BlindIndexEntry.objects.filter(index_name=index_name, digest__in=digests).values_list("digest", "case_uuid")
    return [(bytes(d), case_uuid) for d, case_uuid in rows]


def entries_delete_for_case(*, case_uuid: uuid.UUID) -> int:
    deleted, _ = BlindIndexEntry.objects.filter(case_uuid=case_uuid).delete()
    return deleted
