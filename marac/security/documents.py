"""Documents kept encrypted at rest: meeting packs rendered ahead of time (docs/adr/0017).

A document is sealed under a key that needs two things: a random document key, kept wrapped by
the keyring's primary key-encryption key, and the data key of every case the document holds.
Both go through HKDF, so the document opens only while the keyring and every one of those
cases' data keys exist. Erasing any one case (destroying its data key) therefore makes every
stored document that holds it unreadable, in the live table and in any copy of the row, the same
way it makes the case's own records unreadable.

`context` names the document and what it says (its row's uuid and its content fingerprint): it is
bound into the wrapping, the derivation and the ciphertext, so a sealed document moved to another
row or relabelled fails to open.
"""

import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from marac.security import crypto
from marac.security.datakeys import data_key_bytes
from marac.security.keyring import KeyringError
from marac.security.models import DataKey


@dataclass(frozen=True)
class Sealed:
    kek_id: str
    wrapped_key: bytes
    ciphertext: bytes


def seal(plaintext: bytes, *, data_keys: Iterable[DataKey], context: str) -> Sealed:
    """Encrypt a document under the keyring and these cases' data keys. Raises DataKeyShredded
    if any case has been erased: a document holding an erased case is never stored."""
    keyring = settings.MARAC_KEYRING
    document_key = os.urandom(crypto.KEY_BYTES)
    key = _derived_key(document_key, data_keys, context)
    wrapped = crypto.encrypt(keyring.primary_key, document_key, _wrap_context(context, keyring.primary_id))
    return Sealed(kek_id=keyring.primary_id, wrapped_key=wrapped, ciphertext=crypto.encrypt(key, plaintext, context.encode()))


def unseal(sealed: Sealed, *, data_keys: Iterable[DataKey], context: str) -> bytes:
    """The document, or IntegrityFailure (DataKeyShredded when a case it holds was erased)."""
    try:
        kek = settings.MARAC_KEYRING.key(sealed.kek_id)
    except KeyringError as error:
        raise crypto.IntegrityFailure(str(error)) from None
    document_key = crypto.decrypt(kek, sealed.wrapped_key, _wrap_context(context, sealed.kek_id))
    return crypto.decrypt(_derived_key(document_key, data_keys, context), sealed.ciphertext, context.encode())


def fingerprint(content: str) -> str:
    """A keyed digest of what a document says: equal for equal content, and, unlike a plain hash,
    no help to someone holding the database without the keyring who would confirm a guess at an
    encrypted value by hashing a document rebuilt around it. Keyed from the primary KEK, so a
    new primary changes every fingerprint (stored documents are then prepared again)."""
    key = HKDF(algorithm=SHA256(), length=crypto.KEY_BYTES, salt=None, info=b"marac:document-fingerprint:v1").derive(
        settings.MARAC_KEYRING.primary_key
    )
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()


def _derived_key(document_key: bytes, data_keys: Iterable[DataKey], context: str) -> bytes:
    # In a fixed order (by the keys' uuids), so sealing and opening derive the same key.
    case_keys = b"".join(data_key_bytes(key) for key in sorted(data_keys, key=lambda key: str(key.uuid)))
    return HKDF(algorithm=SHA256(), length=crypto.KEY_BYTES, salt=None, info=f"marac:document:v1|{context}".encode()).derive(
        document_key + case_keys
    )


def _wrap_context(context: str, kek_id: str) -> bytes:
    return f"marac:document-key:v1|{context}|{kek_id}".encode()
