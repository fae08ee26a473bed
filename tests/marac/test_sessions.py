"""Sessions end when idle for 15 minutes, after 10 hours whatever happens, and at the next
request after the person's account or membership is deactivated."""

from datetime import UTC, datetime, timedelta

import time_machine
from django.test import Client

from marac.second_factor import AuthenticatorApp
from marac.services import second_factor_reset
from tests.conftest import PASSWORD, sign_in_with_both_factors

START = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def is_signed_in(client) -> bool:
    response = client.get("/")
    return response.status_code == 200


def test_fourteen_idle_minutes_keep_the_session(client, sign_in_fully, referrer):
    with time_machine.travel(START, tick=False) as clock:
        sign_in_fully(referrer)
        clock.shift(timedelta(minutes=14))
        assert is_signed_in(client)


def test_sixteen_idle_minutes_sign_the_person_out(client, sign_in_fully, referrer):
    with time_machine.travel(START, tick=False) as clock:
        sign_in_fully(referrer)
        clock.shift(timedelta(minutes=16))
        response = client.get("/")
        assert response.url.startswith("/sign-in/")
        assert "had not done anything for 15 minutes" in client.get(response.url).content.decode()
        assert not is_signed_in(client)


def test_activity_keeps_the_session_alive_until_ten_hours(client, sign_in_fully, referrer):
    with time_machine.travel(START, tick=False) as clock:
        sign_in_fully(referrer)
        for _ in range(59):  # every 10 minutes for 9 hours 50 minutes
            clock.shift(timedelta(minutes=10))
            assert is_signed_in(client)
        clock.shift(timedelta(minutes=11))  # 10 hours and 1 minute after signing in
        response = client.get("/")
        assert response.url.startswith("/sign-in/")
        assert "signed in for 10 hours" in client.get(response.url).content.decode()


def test_deactivating_the_person_ends_their_session(client, sign_in_fully, referrer):
    sign_in_fully(referrer)
    referrer.is_active = False
    referrer.save()
    assert client.get("/").url.startswith("/sign-in/")
    assert "Your session was ended" in client.get("/sign-in/").content.decode()


def test_deactivating_a_membership_ends_their_session(client, sign_in_fully, referrer):
    sign_in_fully(referrer)
    referrer.memberships.update(is_active=False)
    assert client.get("/").url.startswith("/sign-in/")
    referrer.memberships.update(is_active=True)
    assert client.get("/").url.startswith("/sign-in/")  # still ended: they must sign in again


def test_resetting_the_second_factor_ends_the_session(client, sign_in_fully, referrer, admin_user):
    sign_in_fully(referrer)
    second_factor_reset(user=referrer, by=admin_user)
    assert client.get("/").url.startswith("/sign-in/?")
    # Whoever holds the old session cannot set up a new authenticator without the password.
    assert client.get("/sign-in/set-up-security-codes/").url.startswith("/sign-in/?")
    assert not AuthenticatorApp.objects.filter(user=referrer).exists()


def test_changing_the_password_ends_the_persons_other_sessions(client, sign_in_fully, referrer):
    other_browser = sign_in_with_both_factors(Client(), referrer)
    sign_in_fully(referrer)
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "a-new-long-passphrase-9", "new_password2": "a-new-long-passphrase-9"},
    )
    assert response.url == "/account/"
    assert is_signed_in(client)
    assert not is_signed_in(other_browser)


def test_a_wrong_current_password_changes_nothing(client, sign_in_fully, referrer):
    sign_in_fully(referrer)
    response = client.post(
        "/account/password/",
        {"old_password": "not-my-password", "new_password1": "a-new-long-passphrase-9", "new_password2": "a-new-long-passphrase-9"},
    )
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    referrer.refresh_from_db()
    assert referrer.check_password(PASSWORD)
