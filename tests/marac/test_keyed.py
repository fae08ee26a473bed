"""Keyed digests kept to be compared later still match across a rotation of SECRET_KEY, while
the earlier key is listed in SECRET_KEY_FALLBACKS, and no longer once it is gone."""

import secrets

from marac.keyed import keyed_digest, keyed_digest_matches, keyed_digests


def rotate(settings) -> str:
    earlier = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secrets.token_urlsafe(64), [earlier]
    return earlier


def test_a_digest_kept_before_a_rotation_matches_while_the_earlier_key_is_a_fallback(settings):
    kept = keyed_digest("test.salt", "value")
    rotate(settings)
    assert keyed_digest("test.salt", "value") != kept  # what is kept from now on is under the new key
    assert keyed_digest_matches("test.salt", "value", kept)
    assert keyed_digests("test.salt", "value")[1] == kept
    settings.SECRET_KEY_FALLBACKS = []
    assert not keyed_digest_matches("test.salt", "value", kept)


def test_no_other_value_salt_or_key_matches(settings):
    kept = keyed_digest("test.salt", "value")
    rotate(settings)
    assert not keyed_digest_matches("test.salt", "other value", kept)
    assert not keyed_digest_matches("other.salt", "value", kept)
    settings.SECRET_KEY_FALLBACKS = [secrets.token_urlsafe(64)]
    assert not keyed_digest_matches("test.salt", "value", kept)
    assert not keyed_digest_matches("test.salt", "value", "")
