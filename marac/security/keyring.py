"""Key-encryption keys (KEKs) from configuration.

The keyring is JSON:

    {"primary": "<key id>", "keys": {"<key id>": "<base64 of 32 random bytes>", ...},
     "index_keys": {"<index name>": "<base64 of 32 random bytes>", ...}}

It comes from MARAC_KEYRING or MARAC_KEYRING_FILE and is never derived from SECRET_KEY, so a
leaked SECRET_KEY does not unlock victim records. Several keys may be listed so that data keys
wrapped under a retiring key still open during rotation; new wraps use the primary key.
Blind-index keys (HMAC, one per index) are separate from the encryption keys, so matching and
decryption can be granted, rotated and lost independently.

This module imports nothing from Django so settings can validate the keyring at start-up:
a service with a malformed keyring refuses to start instead of failing on the first record.
"""

import base64
import binascii
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

KEY_BYTES = 32
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class KeyringError(ValueError):
    """The keyring configuration is unusable. Messages never contain key material."""


@dataclass(frozen=True)
class Keyring:
    primary_id: str
    # repr=False: a keyring printed in a traceback or shell must not show key bytes.
    keys: Mapping[str, bytes] = field(repr=False)
    index_keys: Mapping[str, bytes] = field(repr=False, default_factory=dict)

    @property
    def primary_key(self) -> bytes:
        return self.keys[self.primary_id]

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise KeyringError(f"Key {key_id} is not in the keyring (was it retired too early?).") from None

    def index_key(self, index_name: str) -> bytes:
        try:
            return self.index_keys[index_name]
        except KeyError:
            raise KeyringError(f"The keyring has no blind-index key for {index_name}.") from None

    def to_json(self) -> str:
        """The keyring as configuration text (for generate_keys and tests; it contains keys)."""
        encode = base64.b64encode
        return json.dumps(
            {
                "primary": self.primary_id,
                "keys": {key_id: encode(key).decode("ascii") for key_id, key in self.keys.items()},
                "index_keys": {name: encode(key).decode("ascii") for name, key in self.index_keys.items()},
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> "Keyring":
        try:
            data = json.loads(text)
        except (TypeError, ValueError):
            raise KeyringError("The keyring is not valid JSON.") from None
        if not isinstance(data, dict) or not isinstance(data.get("keys"), dict):
            raise KeyringError('The keyring needs a "keys" object.')
        keys = {key_id: _decode_key(key_id, value) for key_id, value in data["keys"].items()}
        primary_id = data.get("primary")
        if not isinstance(primary_id, str) or primary_id not in keys:
            raise KeyringError('The keyring\'s "primary" must name one of its keys.')
        index_data = data.get("index_keys", {})
        if not isinstance(index_data, dict):
            raise KeyringError('The keyring\'s "index_keys" must be an object.')
        index_keys = {name: _decode_key(name, value) for name, value in index_data.items()}
        if set(index_keys.values()) & set(keys.values()):
            raise KeyringError("A blind-index key must not also be an encryption key.")
        if len(set(index_keys.values())) != len(index_keys):
            # A key copied from one index to another (say, victim_name_dob's pasted in as
            # perpetrator_name_dob when upgrading) would make a person's digest as a victim equal
            # their digest as a perpetrator: the counter-allegations ADR 0026 keeps out of the table.
            raise KeyringError("Each blind index needs its own key: two index_keys are the same.")
        return cls(primary_id=primary_id, keys=MappingProxyType(keys), index_keys=MappingProxyType(index_keys))


def _decode_key(key_id: object, value: object) -> bytes:
    if not isinstance(key_id, str) or not KEY_ID_PATTERN.match(key_id):
        raise KeyringError("Key ids are 1-64 letters, digits, '.', '_' or '-'.")
    try:
        key = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError(f"Key {key_id} is not valid base64.") from None
    if len(key) != KEY_BYTES:
        raise KeyringError(f"Key {key_id} must be {KEY_BYTES} bytes.")
    return key


# Every blind index the application computes; each has its own HMAC key. Perpetrators have their
# own (ADR 0026): a victim digest and a perpetrator digest of the same person never compare equal.
INDEX_NAMES = ("victim_name_dob", "perpetrator_name_dob")


def new_key_b64() -> str:
    return base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def new_keyring_json(key_id: str) -> str:
    """A fresh keyring with one random primary key and every blind-index key."""
    return json.dumps(
        {"primary": key_id, "keys": {key_id: new_key_b64()}, "index_keys": {name: new_key_b64() for name in INDEX_NAMES}},
        indent=2,
    )


def keyring_with_new_primary(text: str, key_id: str) -> str:
    """The same keyring with a new random primary key added; old keys stay until retired."""
    data = json.loads(text)
    if key_id in data.get("keys", {}):
        raise KeyringError(f"Key {key_id} already exists.")
    data["keys"][key_id] = new_key_b64()
    data["primary"] = key_id
    Keyring.from_json(json.dumps(data))  # refuse to write something unusable
    return json.dumps(data, indent=2)
