"""Five failures lock an account and an address; a forged X-Forwarded-For does not help."""

import itertools
from ipaddress import ip_network

import pytest
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


def wrong_code_for(user) -> str:
    return f"{(int(current_code(user.totpdevice_set.get())) + 1) % 1_000_000:06d}"


def test_someone_elses_correct_password_does_not_wipe_the_failures(client, coordinator, chair):
    # An attacker who knows one password (chair's) must not reset the count against coordinator.
    for _ in range(4):
        attempt(client, "coordinator", "wrong-password-1")
    assert signed_in_with_password(attempt(client, "chair", PASSWORD))
    assert attempt(client, "coordinator", "wrong-password-1").status_code == 429


def test_re_entering_a_stolen_password_does_not_wipe_wrong_codes(client, coordinator):
    attempt(client, "coordinator", PASSWORD)
    for _ in range(3):
        client.post("/sign-in/security-code/", {"code": wrong_code_for(coordinator)})
    assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))
    client.post("/sign-in/security-code/", {"code": wrong_code_for(coordinator)})
    assert client.post("/sign-in/security-code/", {"code": wrong_code_for(coordinator)}).status_code == 429


def test_completing_both_factors_forgives_earlier_failures(client, coordinator):
    for _ in range(4):
        attempt(client, "coordinator", "wrong-password-1")
    attempt(client, "coordinator", PASSWORD)
    assert client.post("/sign-in/security-code/", {"code": current_code(coordinator.totpdevice_set.get())}).url == "/"
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
def test_an_address_behind_the_proxy_locks_despite_forged_entries(client, coordinator):
    # The proxy appends the real address; the attacker controls only what is to its left.
    for n in range(5):
        client.post(
            "/sign-in/",
            {"username": f"guess{n}", "password": "x"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"{next(_addresses)}, 203.0.113.50",
        )
    response = client.post(
        "/sign-in/",
        {"username": "coordinator", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=f"{next(_addresses)}, 203.0.113.50",
    )
    assert response.status_code == 429


def test_a_session_opened_before_the_lock_gets_no_more_tries(client, coordinator):
    # The attacker opens a password-only session, then the account is locked by other attempts.
    assert signed_in_with_password(attempt(client, "coordinator", PASSWORD))
    other = Client()
    for _ in range(5):
        attempt(other, "coordinator", "wrong-password-1")
    response = client.post("/sign-in/security-code/", {"code": current_code(coordinator.totpdevice_set.get())})
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
