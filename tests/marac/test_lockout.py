"""Five failures lock a username at an address, ten lock it from anywhere; an address is slowed
down, never locked, so nobody can shut an office out; a forged X-Forwarded-For does not help."""

import itertools
from contextlib import contextmanager
from datetime import UTC, datetime
from ipaddress import ip_network

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client, override_settings

from demo.management.commands._demo import current_code
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


def test_failures_for_made_up_usernames_do_not_lock_a_colleague_at_the_same_address(client, coordinator):
    # Someone on the same council network types made-up names (up to just before the slow-down).
    for n in range(19):
        assert attempt(Client(), f"guess{n}", "wrong-password-1").status_code == 200
    assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))


def test_one_username_guessed_from_one_address_is_locked(client, coordinator):
    for _ in range(5):
        attempt(client, "coordinator", "wrong-password-1", remote="203.0.113.70")
    assert attempt(client, "coordinator", PASSWORD, remote="203.0.113.70").status_code == 429


def test_one_username_guessed_from_many_addresses_is_still_locked(client, coordinator):
    remotes = (f"203.0.113.{n}" for n in itertools.count(100))
    for _ in range(4):  # four from each of two addresses, then two more from two others: ten
        attempt(client, "coordinator", "wrong-password-1", remote="203.0.113.80")
        attempt(client, "coordinator", "wrong-password-1", remote="203.0.113.81")
    assert attempt(client, "coordinator", "wrong-password-1", remote=next(remotes)).status_code == 200  # the ninth
    assert attempt(client, "coordinator", "wrong-password-1", remote=next(remotes)).status_code == 429  # the tenth
    locked = attempt(client, "coordinator", PASSWORD, remote=next(remotes))  # a fresh address: still locked
    assert locked.status_code == 429 and "Sign-in is locked" in locked.content.decode()


def test_an_address_spraying_usernames_is_slowed_down_not_locked(client, coordinator):
    with time_machine.travel(datetime(2026, 12, 2, 10, tzinfo=UTC), tick=False) as clock:
        for n in range(20):
            assert attempt(Client(), f"guess{n}", "wrong-password-1").status_code == 200
        slowed = attempt(Client(), "guess-more", "wrong-password-1")
        assert slowed.status_code == 429
        page = slowed.content.decode()
        assert "Wait 15 seconds before signing in again" in page and "Your account is not locked" in page
        assert AccessAttempt.objects.filter(username="guess-more").count() == 0  # not even checked
        assert attempt(client, "coordinator", PASSWORD).status_code == 429  # a colleague waits too...
        clock.shift(15)
        assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))  # ...seconds, not an hour


def test_the_slow_down_grows_with_more_failures(client, db):
    with time_machine.travel(datetime(2026, 12, 2, 10, tzinfo=UTC), tick=False) as clock:
        for n in range(40):
            clock.shift(60)  # each waits out the slow-down, so every one is checked and counted
            attempt(Client(), f"guess{n}", "wrong-password-1")
        assert "Wait 60 seconds" in attempt(client, "guess-more", "x").content.decode()


def test_a_person_on_their_own_known_browser_is_never_slowed_by_a_sprayer(client, coordinator):
    attempt(client, "coordinator", PASSWORD)
    client.post("/sign-in/security-code/", {"code": current_code(coordinator.authenticatorapp_set.get())})
    client.post("/sign-out/")
    for n in range(25):
        attempt(Client(), f"guess{n}", "wrong-password-1")
    assert attempt(Client(), "coordinator", PASSWORD).status_code == 429  # a browser it never used
    assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))
    # The cookie names the person: someone else typing another username on that browser is slowed.
    assert attempt(client, "chair", PASSWORD).status_code == 429


def test_a_forged_known_browser_cookie_is_ignored(client, coordinator):
    for n in range(25):
        attempt(Client(), f"guess{n}", "wrong-password-1")
    client.cookies["marac-known-device"] = f"[{coordinator.pk}]"
    assert attempt(client, "coordinator", PASSWORD).status_code == 429


def test_another_address_is_not_locked_by_someone_elses_failures(client, coordinator, chair):
    for n in range(5):
        attempt(client, f"guess{n}", "wrong-password-1", remote="203.0.113.66")
    assert signed_in_with_password(attempt(client, "chair", PASSWORD, remote="203.0.113.7"))


def test_fewer_than_five_failures_do_not_lock(client, coordinator):
    for _ in range(4):
        attempt(client, "coordinator", "wrong-password-1")
    assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))


@contextmanager
def waiting_out_the_code_throttle():
    """A clock that moves on 20 seconds before each call of the returned function, past
    django-otp's wait after a wrong code (1, 2, 4, 8 seconds), so every code is checked."""
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:

        def later(call, *args, **kwargs):
            clock.shift(20)
            return call(*args, **kwargs)

        yield later


def test_wrong_security_codes_count_towards_the_lockout(client, coordinator):
    assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))
    with waiting_out_the_code_throttle() as later:
        responses = [later(lambda: client.post("/sign-in/security-code/", {"code": wrong_code_for(coordinator)})) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert client.get("/").url.startswith("/sign-in/")  # signed out, not just refused
    # The codes were sent from the test client's own address: the username is locked there.
    assert attempt(client, "coordinator", PASSWORD, remote="127.0.0.1").status_code == 429


def wrong_code_for(user) -> str:
    return f"{(int(current_code(user.authenticatorapp_set.get())) + 1) % 1_000_000:06d}"


def test_someone_elses_correct_password_does_not_wipe_the_failures(client, coordinator, chair):
    # An attacker who knows one password (chair's) must not reset the count against coordinator.
    for _ in range(4):
        attempt(client, "coordinator", "wrong-password-1")
    assert signed_in_with_password(attempt(client, "chair", PASSWORD))
    assert attempt(client, "coordinator", "wrong-password-1").status_code == 429


def test_re_entering_a_stolen_password_does_not_wipe_wrong_codes(client, coordinator):
    attempt(client, "coordinator", PASSWORD)
    with waiting_out_the_code_throttle() as later:
        for _ in range(3):
            later(client.post, "/sign-in/security-code/", {"code": wrong_code_for(coordinator)})
        assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))
        later(client.post, "/sign-in/security-code/", {"code": wrong_code_for(coordinator)})
        assert later(client.post, "/sign-in/security-code/", {"code": wrong_code_for(coordinator)}).status_code == 429


def test_codes_refused_by_the_throttle_say_wait_and_are_not_counted(client, coordinator):
    attempt(client, "coordinator", PASSWORD)
    with time_machine.travel(datetime.now(UTC), tick=False) as clock:
        assert client.post("/sign-in/security-code/", {"code": wrong_code_for(coordinator)}).status_code == 200
        for _ in range(6):  # many more than the lockout allows, all inside the one-second wait
            refused = client.post("/sign-in/security-code/", {"code": current_code(coordinator.authenticatorapp_set.get())})
            assert refused.status_code == 200 and "Wait 1 second, then enter the security code again" in refused.content.decode()
        clock.shift(1)
        assert client.post("/sign-in/security-code/", {"code": current_code(coordinator.authenticatorapp_set.get())}).url == "/"


def test_completing_both_factors_forgives_earlier_failures(client, coordinator):
    for _ in range(4):
        attempt(client, "coordinator", "wrong-password-1")
    attempt(client, "coordinator", PASSWORD)
    assert client.post("/sign-in/security-code/", {"code": current_code(coordinator.authenticatorapp_set.get())}).url == "/"
    client.post("/sign-out/")
    for _ in range(4):
        assert attempt(client, "coordinator", "wrong-password-1").status_code == 200


def test_wrong_codes_are_not_kept_in_the_attempt_records(client, coordinator):
    attempt(client, "coordinator", PASSWORD)
    wrong = wrong_code_for(coordinator)
    client.post("/sign-in/security-code/", {"code": wrong})
    records = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert "code" in records and wrong not in records
    assert PASSWORD not in records


@override_settings(MARAC_TRUSTED_PROXY_COUNT=1, MARAC_TRUSTED_PROXY_NETWORKS=[ip_network("10.0.0.0/24")])
def test_an_address_behind_the_proxy_is_slowed_despite_forged_entries(client, coordinator):
    # The proxy appends the real address; the attacker controls only what is to its left.
    for n in range(20):
        client.post(
            "/sign-in/",
            {"username": f"guess{n}", "password": "x"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"{next(_addresses)}, 203.0.113.50",
        )
    response = client.post(
        "/sign-in/",
        {"username": "guess-more", "password": "x"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"{next(_addresses)}, 203.0.113.50",
    )
    assert response.status_code == 429 and "Wait 15 seconds" in response.content.decode()
    # Another client behind the same proxy is a different address: not slowed.
    elsewhere = client.post(
        "/sign-in/", {"username": "coordinator", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.51"
    )
    assert signed_in_with_password(elsewhere)


def test_a_session_opened_before_the_lock_gets_no_more_tries(client, coordinator):
    # The attacker opens a password-only session, then the account is locked by other attempts
    # from many addresses (the lock that holds wherever the session is).
    assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))
    other = Client()
    for n in range(10):
        attempt(other, "coordinator", "wrong-password-1", remote=f"203.0.113.{150 + n}")
    response = client.post("/sign-in/security-code/", {"code": current_code(coordinator.authenticatorapp_set.get())})
    assert response.status_code == 429
    assert client.get("/").url.startswith("/sign-in/")


def test_wrong_current_passwords_at_password_change_count_towards_the_lockout(sign_in_fully, coordinator):
    client = sign_in_fully(coordinator)
    form = {"old_password": "a-guess-1234", "new_password1": "a-new-long-passphrase-9", "new_password2": "a-new-long-passphrase-9"}
    responses = [client.post("/account/password/", form) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert client.get("/").url.startswith("/sign-in/")
    coordinator.refresh_from_db()
    assert coordinator.check_password(PASSWORD)


def test_attempt_records_keep_no_secret_anyone_typed(sign_in_fully, coordinator):
    """Administrators read the attempt records: nothing secret posted to a page that counts
    failures may be stored in them, whatever the form calls its fields."""
    from axes.models import AccessFailureLog, AccessLog

    secret = "Granite-Lantern-Quarry-42"
    attempt(Client(), "coordinator", secret)
    client = sign_in_fully(coordinator)
    client.post("/account/password/", {"old_password": secret, "new_password1": secret, "new_password2": secret})
    for url in ("/account/confirm/", "/account/backup-codes/"):
        client.post(url, {"code": secret, "password": secret})
    recorded = [
        str(value) for model in (AccessAttempt, AccessLog, AccessFailureLog) for row in model.objects.values() for value in row.values()
    ]
    assert AccessAttempt.objects.exists()  # the failures were counted...
    assert not [value for value in recorded if secret in value]  # ...without what was typed


def test_records_made_before_the_fields_were_masked_lose_their_form_data(db):
    import importlib

    from django.apps import apps

    AccessAttempt.objects.create(
        username="coordinator",
        ip_address="203.0.113.9",
        user_agent="",
        failures_since_start=1,
        get_data="",
        post_data="old_password=Granite\nnew_password1=Lantern",
    )
    importlib.import_module("marac.migrations.0004_forget_form_data_in_sign_in_attempts").forget_form_data(apps, None)
    attempt_left = AccessAttempt.objects.get()
    assert attempt_left.post_data == "" and attempt_left.failures_since_start == 1  # lockout still counts it
