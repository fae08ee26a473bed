"""Small secrets that belong to a person's account, not to a case: second-factor keys and backup
codes (ADR 0022). Sealed directly under the keyring's key-encryption key, with associated data
naming where the value lives, so a sealed value copied to another person's row, another field or
relabelled with another key id fails to open.

They are not under a case's data key: they outlive every case and must survive a case's erasure.
They are few (a key and ten codes a person), so rotation re-seals them in place.
"""

from django.conf import settings

from marac.security import crypto
from marac.security.keyring import KeyringError


def place_of(*, model_label: str, row_uuid: object, field: str) -> str:
    """Where a sealed value lives: bound into its associated data, so it opens only there."""
    return f"{model_label}|{row_uuid}|{field}"


def _context(place: str, kek_id: str) -> bytes:
    return f"marac:account-secret:v1|{place}|{kek_id}".encode()


def secret_seal(*, plaintext: bytes, place: str) -> tuple[str, bytes]:
    """The secret sealed under the primary KEK, and that KEK's id. `place` names the row and
    field the value is stored in (model label, row uuid, field), never anything secret."""
    keyring = settings.MARAC_KEYRING
    return keyring.primary_id, crypto.encrypt(keyring.primary_key, plaintext, _context(place, keyring.primary_id))


def secret_open(*, kek_id: str, sealed: bytes | memoryview, place: str) -> bytes:
    """The plaintext, or IntegrityFailure: never garbage, never the value in an error."""
    try:
        kek = settings.MARAC_KEYRING.key(kek_id)
    except KeyringError as error:
        raise crypto.IntegrityFailure(str(error)) from None
    return crypto.decrypt(kek, bytes(sealed), _context(place, kek_id))


def secret_reseal(*, kek_id: str, sealed: bytes | memoryview, place: str) -> tuple[str, bytes]:
    """The same secret sealed again under the primary KEK (for key rotation)."""
    return secret_seal(plaintext=secret_open(kek_id=kek_id, sealed=sealed, place=place), place=place)
