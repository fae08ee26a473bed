"""AES-256-GCM with associated data: the one primitive every encrypted value goes through.

Stored format, version 1 (documented in SECURITY.md):

    0x01 | 12-byte random nonce | ciphertext | 16-byte GCM tag

The associated data is never stored with the value: the reader rebuilds it from where the value
is found (model, field, logical row id, key id). A value moved to another row or field, a byte
flipped, or plaintext written into the column, all fail authentication here.
"""

import os
import uuid
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_V1 = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16
KEY_BYTES = 32


class IntegrityFailure(Exception):
    """A stored value failed to authenticate. Never carries the value or the key."""

    # Set by the field that failed, so the access log can name the case (marac.middleware).
    case_reference: str = ""


def encrypt(key: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)  # random 96-bit nonce per write; 2^32 writes per key is far off
    return FORMAT_V1 + nonce + AESGCM(key).encrypt(nonce, plaintext, associated_data)


def encrypt_many(key: bytes, values: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
    """encrypt() for many values under one key (a bulk load's row): the same stored format and a
    fresh random nonce for each value, with the cipher built once and every nonce read from the
    system's random source in one call, which together halve the cost of each value."""
    return _sealed(key, values, os.urandom(NONCE_BYTES * len(values)))


def encrypt_rows(rows: Sequence[tuple[bytes, Sequence[tuple[bytes, bytes]]]]) -> list[list[bytes]]:
    """encrypt_many for many rows, each (its key, its values): every nonce of every row read from
    the system's random source in one call, a read being a system call here. The nonces never
    come from a caller, so none can be reused."""
    nonces = os.urandom(NONCE_BYTES * sum(len(values) for _, values in rows))
    sealed, at = [], 0
    for key, values in rows:
        end = at + NONCE_BYTES * len(values)
        sealed.append(_sealed(key, values, nonces[at:end]))
        at = end
    return sealed


def _sealed(key: bytes, values: Sequence[tuple[bytes, bytes]], nonces: bytes) -> list[bytes]:
    cipher = AESGCM(key)
    stored = []
    for start, (plaintext, associated_data) in zip(range(0, len(nonces), NONCE_BYTES), values, strict=True):
        nonce = nonces[start : start + NONCE_BYTES]
        stored.append(FORMAT_V1 + nonce + cipher.encrypt(nonce, plaintext, associated_data))
    return stored


def random_uuids(count: int) -> list[uuid.UUID]:
    """uuid.uuid4() for many rows at once, from one read of the system's random source: a bulk
    load makes several for each case, and each read is a system call."""
    pool = os.urandom(16 * count)
    return [uuid.UUID(bytes=pool[at : at + 16], version=4) for at in range(0, len(pool), 16)]


def decrypt(key: bytes, stored: bytes, associated_data: bytes) -> bytes:
    if not isinstance(stored, (bytes, bytearray, memoryview)):
        raise IntegrityFailure("not a ciphertext")
    stored = bytes(stored)
    if len(stored) < 1 + NONCE_BYTES + TAG_BYTES or stored[:1] != FORMAT_V1:
        raise IntegrityFailure("unknown format")
    nonce, body = stored[1 : 1 + NONCE_BYTES], stored[1 + NONCE_BYTES :]
    try:
        return AESGCM(key).decrypt(nonce, body, associated_data)
    except InvalidTag:
        raise IntegrityFailure("authentication failed") from None
