"""Five failures lock an account and an address; a forged X-Forwarded-For does not help."""

import itertools

import pytest
from django.test import override_settings

from marac.management.commands._demo import current_code
from tests.conftest import PASSWORD

_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def attempt(client, username, password, *, remote="203.0.113.9"):
    # Each attempt claims a different client address in X-Forwarded-For, as an attacker would.
    return client.post(
        "/sign-in/",
        {"username": username, "password": password},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=next(_addresses),
    )


def signed_in_with_password(response) -> bool:
    return response.status_code == 302 and response.url == "/sign-in/security-code/"


@pytest.mark.parametrize("proxies", [0, 1])
def test_an_account_locks_after_five_failures_whatever_the_forwarded_address(client, coordinator, proxies):
    with override_settings(MARAC_TRUSTED_PROXY_COUNT=proxies):
        for _ in range(4):
            assert attempt(client, "coordinator", "wrong-password-1").status_code == 200
        assert attempt(client, "coordinator", "wrong-password-1").status_code == 429  # the fifth
        locked = attempt(client, "coordinator", PASSWORD)
    assert locked.status_code == 429
    assert not signed_in_with_password(locked)
    assert "Sign-in is locked" in locked.content.decode()


def test_an_address_locks_after_five_failures_across_usernames(client, coordinator):
    for n in range(5):
        attempt(client, f"guess{n}", "wrong-password-1")
    assert attempt(client, "coordinator", PASSWORD).status_code == 429


def test_another_address_is_not_locked_by_someone_elses_failures(client, coordinator, chair):
    for n in range(5):
        attempt(client, f"guess{n}", "wrong-password-1", remote="203.0.113.66")
    assert signed_in_with_password(attempt(client, "chair", PASSWORD, remote="203.0.113.7"))


def test_fewer_than_five_failures_do_not_lock(client, coordinator):
    for _ in range(4):
        attempt(client, "coordinator", "wrong-password-1")
    assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))


def test_wrong_security_codes_count_towards_the_lockout(client, coordinator):
    assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))
    good = current_code(coordinator.totpdevice_set.get())
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    responses = [client.post("/sign-in/security-code/", {"code": wrong}) for _ in range(5)]
    assert responses[-1].status_code == 429
    assert client.get("/").url.startswith("/sign-in/")  # signed out, not just refused
    assert attempt(client, "coordinator", PASSWORD).status_code == 429
