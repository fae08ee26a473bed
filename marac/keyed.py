"""Keyed digests that outlive a rotation of SECRET_KEY.

A digest kept to be compared later (an idempotency key, a form's "opened at" mark) is made under
SECRET_KEY and matched under SECRET_KEY and each of SECRET_KEY_FALLBACKS, as Django's signing
does: during a rotation a partner system's retry is still known as a retry, not made again as a
second referral, and a form opened just before still saves.
"""

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac


def keyed_digest(salt: str, value: str) -> str:
    """What to keep: the digest under the current key."""
    return salted_hmac(salt, value, algorithm="sha256").hexdigest()


def keyed_digests(salt: str, value: str) -> list[str]:
    """What a kept digest may be: under the current key, then each earlier one still accepted."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return [salted_hmac(salt, value, secret=key, algorithm="sha256").hexdigest() for key in keys]


def keyed_digest_matches(salt: str, value: str, kept: str) -> bool:
    """Whether `kept` is the value's digest under any accepted key."""
    return digest_among(kept, keyed_digests(salt, value))


def digest_among(kept: str, digests: list[str]) -> bool:
    """Whether `kept` is one of `digests`, each compared in constant time, every one compared."""
    return any([constant_time_compare(kept, digest) for digest in digests])  # a list: no early exit
