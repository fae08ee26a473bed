"""Every URL pattern in the project, admin included, is closed to anonymous people and to
people who have given only their password. New views are covered without being listed here."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from marac.access_levels import PASSWORD_ONLY, PUBLIC, access_level

EXPECTED_PUBLIC = {"sign-in", "healthz", "accessibility"}
EXPECTED_PASSWORD_ONLY = {"two-factor", "enrol", "sign-out"}
SAMPLE_VALUES = {"app_label": "marac", "url": "anything", "pending": "00000000-0000-4000-8000-000000000000"}  # pending: a uuid
GROUP = re.compile(r"\((?:\?P<(\w+)>)?[^)]*\)")  # named or unnamed capture group


def _sample_path(regex: str) -> str:
    path = GROUP.sub(lambda m: SAMPLE_VALUES.get(m.group(1), "1"), regex)
    return re.sub(r"\\Z|\\A|\^|\$", "", path).replace("\\", "")


def all_patterns(resolver=None, prefix=""):
    """Yield (sample path, pattern) for every concrete URL pattern, recursing into includes."""
    for entry in (resolver or get_resolver()).url_patterns:
        regex = prefix + entry.pattern.regex.pattern
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry, regex)
        else:
            assert isinstance(entry, URLPattern)
            yield "/" + _sample_path(regex), entry


PATTERNS = list(all_patterns())


def test_the_enumeration_finds_the_admin_and_the_service_pages():
    paths = {path for path, _ in PATTERNS}
    assert "/admin/marac/membership/1/change/" in paths
    assert "/account/" in paths
    assert len(PATTERNS) > 50


@pytest.mark.parametrize("path,pattern", PATTERNS, ids=[p for p, _ in PATTERNS])
def test_sample_path_resolves_to_its_own_pattern(path, pattern):
    assert resolve(path).func == pattern.callback


def test_only_the_sign_in_pages_are_open_before_both_factors():
    public = {p.name for _, p in PATTERNS if access_level(p.callback) == PUBLIC}
    password_only = {p.name for _, p in PATTERNS if access_level(p.callback) == PASSWORD_ONLY}
    assert public == EXPECTED_PUBLIC
    assert password_only == EXPECTED_PASSWORD_ONLY


# The partner API authenticates each call by a bearer token, never a session: it answers 401 (or
# 404 while no client is configured), proven in tests/api/test_api_idor.py.
PROTECTED = [(path, p) for path, p in PATTERNS if p.name not in EXPECTED_PUBLIC and not path.startswith("/api/v1/")]
FULLY_PROTECTED = [(path, p) for path, p in PROTECTED if p.name not in EXPECTED_PASSWORD_ONLY]


@pytest.mark.django_db
@pytest.mark.parametrize("path,pattern", PROTECTED, ids=[p for p, _ in PROTECTED])
def test_anonymous_people_are_sent_to_sign_in(client, path, pattern):
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 302, path
        assert response.url.startswith("/sign-in/"), (path, response.url)


@pytest.mark.parametrize("path,pattern", FULLY_PROTECTED, ids=[p for p, _ in FULLY_PROTECTED])
def test_a_password_only_session_is_sent_to_the_second_factor(sign_in_password_only, admin_user, path, pattern):
    client = sign_in_password_only(admin_user)  # an administrator: the admin is still closed
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 302, path
        assert response.url.startswith("/sign-in/security-code/"), (path, response.url)
