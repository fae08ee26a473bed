"""First sign-in: the person sets up an authenticator app and gets backup codes."""

import base64
import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.test import Client

from demo.management.commands._demo import current_code
from marac import services
from marac.second_factor import AuthenticatorApp, BackupCode
from tests.conftest import PASSWORD

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def start(client, username="new_starter"):
    return client.post("/sign-in/", {"username": username, "password": PASSWORD})


def test_a_person_without_a_second_factor_is_asked_to_set_one_up(client, new_starter):
    start(client)
    response = client.get("/sign-in/security-code/")
    assert response.url == "/sign-in/set-up-security-codes/"
    page = client.get(response.url).content.decode()
    assert "<svg" in page  # the QR code
    device = AuthenticatorApp.objects.get(user=new_starter, confirmed=False)
    typed_key = re.search(r'marac-secret-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert typed_key == base64.b32encode(device.bin_key).decode()  # the device's key, for typing in


KEY = re.compile(r'marac-secret-key">([A-Z2-7 ]+)<')


def test_each_visit_makes_a_new_key_and_voids_the_last(client, new_starter):
    start(client)
    first = KEY.search(client.get("/sign-in/set-up-security-codes/").content.decode()).group(1)
    glimpsed = AuthenticatorApp.objects.get(user=new_starter)
    second = KEY.search(client.get("/sign-in/set-up-security-codes/").content.decode()).group(1)
    assert first != second
    assert AuthenticatorApp.objects.filter(user=new_starter).count() == 1
    assert not AuthenticatorApp.objects.filter(pk=glimpsed.pk).exists()


def test_a_key_glimpsed_by_someone_else_with_the_password_is_void(new_starter):
    # Someone who knows a new starter's first password loads the set-up page and notes the key...
    snooper = Client()
    start(snooper)
    snooper.get("/sign-in/set-up-security-codes/")
    glimpsed = AuthenticatorApp.objects.get(user=new_starter)
    # ...then the person sets up their own app.
    person = Client()
    start(person)
    person.get("/sign-in/set-up-security-codes/")
    device = AuthenticatorApp.objects.get(user=new_starter)
    assert device.pk != glimpsed.pk
    assert person.post("/sign-in/set-up-security-codes/", {"code": current_code(device)}).url == "/account/backup-codes/"
    # The snooper's key is gone, and their session's set-up page now refers to nothing.
    assert snooper.post("/sign-in/set-up-security-codes/", {"code": "123456"}).url == "/sign-in/security-code/"


def test_a_correct_code_confirms_the_app_and_shows_backup_codes_once(client, new_starter):
    start(client)
    client.get("/sign-in/set-up-security-codes/")
    device = AuthenticatorApp.objects.get(user=new_starter)
    response = client.post("/sign-in/set-up-security-codes/", {"code": current_code(device)})
    assert response.url == "/account/backup-codes/"

    page = client.get("/account/backup-codes/").content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", page)
    assert len(codes) == 10
    assert "only see these codes once" in page
    again = client.get("/account/backup-codes/").content.decode()
    assert not set(codes) & set(re.findall(r"<li>([a-z2-7]{8})</li>", again))
    assert "10 unused backup codes" in again
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200


def test_a_wrong_code_does_not_confirm_the_app(client, new_starter):
    start(client)
    client.get("/sign-in/set-up-security-codes/")
    device = AuthenticatorApp.objects.get(user=new_starter)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = client.post("/sign-in/set-up-security-codes/", {"code": wrong})
    assert response.status_code == 200
    assert "govuk-error-summary" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/").status_code == 302


def test_a_stolen_password_cannot_add_a_second_authenticator(client, coordinator):
    start(client, "coordinator")
    response = client.get("/sign-in/set-up-security-codes/")
    assert response.url == "/sign-in/security-code/"
    response = client.post("/sign-in/set-up-security-codes/", {"code": "123456"})
    assert response.url == "/sign-in/security-code/"
    assert AuthenticatorApp.objects.filter(user=coordinator).count() == 1


def codes_on(page) -> list[str]:
    return re.findall(r"<li>([a-z2-7]{8})</li>", page.content.decode())


def test_new_backup_codes_need_a_code_from_the_app_and_replace_the_old_ones(client, sign_in_fully, coordinator):
    sign_in_fully(coordinator)
    device = AuthenticatorApp.objects.get(user=coordinator)
    with time_machine.travel(NOW, tick=False) as clock:
        client.post("/account/backup-codes/", {"code": current_code(device)})
        first = codes_on(client.get("/account/backup-codes/"))
        clock.shift(timedelta(seconds=30))  # the next time step: a code is good only once
        client.post("/account/backup-codes/", {"code": current_code(device)})
        second = codes_on(client.get("/account/backup-codes/"))
    assert len(first) == len(second) == 10 and not set(first) & set(second)


def test_a_borrowed_session_cannot_make_new_backup_codes(client, sign_in_fully, coordinator):
    old_codes = services.backup_codes_issue(user=coordinator)
    sign_in_fully(coordinator)
    for attempt in ["", "000000", old_codes[0]]:  # nothing, a guess, a backup code
        response = client.post("/account/backup-codes/", {"code": attempt})
        assert response.status_code == 200
        assert "govuk-error-summary" in response.content.decode()
    assert sorted(code.secret().decode() for code in BackupCode.objects.filter(device__user=coordinator)) == sorted(old_codes)


def wrong_code(device) -> str:
    return f"{(int(current_code(device)) + 1) % 1_000_000:06d}"


def test_a_correct_code_just_after_a_mistyped_one_confirms_the_app(client, new_starter):
    start(client)
    client.get("/sign-in/set-up-security-codes/")
    device = AuthenticatorApp.objects.get(user=new_starter)
    with time_machine.travel(NOW, tick=False):  # no time passes between the two tries
        mistyped = client.post("/sign-in/set-up-security-codes/", {"code": wrong_code(device)})
        assert "govuk-error-summary" in mistyped.content.decode()
        response = client.post("/sign-in/set-up-security-codes/", {"code": current_code(device)})
    assert response.url == "/account/backup-codes/"
    device.refresh_from_db()
    assert device.confirmed


def test_guessing_codes_at_set_up_locks_the_account_even_for_a_correct_code(client, new_starter):
    start(client)
    client.get("/sign-in/set-up-security-codes/")
    device = AuthenticatorApp.objects.get(user=new_starter)
    with time_machine.travel(NOW, tick=False):
        for _ in range(5):
            last = client.post("/sign-in/set-up-security-codes/", {"code": wrong_code(device)})
        assert last.status_code == 429
        # A new session with the password gets no more tries, even with the right code.
        start(client)
        client.get("/sign-in/set-up-security-codes/")
        device = AuthenticatorApp.objects.get(user=new_starter)
        response = client.post("/sign-in/set-up-security-codes/", {"code": current_code(device)})
    assert response.status_code in (302, 429)
    assert not AuthenticatorApp.objects.filter(user=new_starter, confirmed=True).exists()
