"""Encrypting values that used to sit in plain columns, for data migrations (docs/adr/0021).

A migration works on historical models, which are not EncryptedModel and cannot encrypt
themselves, and on history rows, each of which must be readable at its own version. This writes
exactly what `EncryptedField.encrypt` writes for a row with this logical id, version and data key,
so the live models read the result as if it had always been encrypted
(tests/security/test_no_plain_text_case_columns.py proves it).
"""

import uuid
from typing import Any

from marac.security import crypto
from marac.security.datakeys import data_key_bytes
from marac.security.fields import NONE_MARKER, VALUE_MARKER

# What an erased case's rows get in place of a plain value: there is no key left to encrypt
# under, and the rows' other values cannot be read either, so the old text is simply gone.
ERASED = b""


def sealed_text(*, label: str, field_name: str, row_uuid: uuid.UUID, row_version: int, data_key: Any, value: str | None) -> bytes:
    """`value` as an EncryptedTextField stores it in this row at this version (`label` is the live
    model's, "meetings.action"). `data_key` is a DataKey row, live or historical."""
    if data_key.wrapped is None:
        return ERASED
    plaintext = NONE_MARKER if value is None else VALUE_MARKER + value.encode("utf-8")
    context = f"marac:field:v1|{label}|{field_name}|{row_uuid}|{row_version}|{data_key.uuid}".encode()
    return crypto.encrypt(data_key_bytes(data_key), plaintext, context)
