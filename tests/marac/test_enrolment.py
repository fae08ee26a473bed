"""First sign-in: the person sets up an authenticator app and gets backup codes."""

import re

from django_otp.plugins.otp_totp.models import TOTPDevice

from marac.management.commands._demo import current_code
from tests.conftest import PASSWORD


def start(client, username="new_starter"):
    return client.post("/sign-in/", {"username": username, "password": PASSWORD})


def test_a_person_without_a_second_factor_is_asked_to_set_one_up(client, new_starter):
    start(client)
    response = client.get("/sign-in/security-code/")
    assert response.url == "/sign-in/set-up-security-codes/"
    page = client.get(response.url).content.decode()
    assert "<svg" in page  # the QR code
    device = TOTPDevice.objects.get(user=new_starter, confirmed=False)
    typed_key = re.search(r'marac-secret-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert len(typed_key) == 32  # the same key as the QR code, for typing in


def test_reloading_the_page_keeps_the_same_key(client, new_starter):
    start(client)
    key = re.compile(r'marac-secret-key">([A-Z2-7 ]+)<')
    first = key.search(client.get("/sign-in/set-up-security-codes/").content.decode()).group(1)
    second = key.search(client.get("/sign-in/set-up-security-codes/").content.decode()).group(1)
    assert first == second
    assert TOTPDevice.objects.filter(user=new_starter).count() == 1


def test_a_correct_code_confirms_the_app_and_shows_backup_codes_once(client, new_starter):
    start(client)
    client.get("/sign-in/set-up-security-codes/")
    device = TOTPDevice.objects.get(user=new_starter)
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
    device = TOTPDevice.objects.get(user=new_starter)
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
    assert TOTPDevice.objects.filter(user=coordinator).count() == 1


def test_new_backup_codes_replace_the_old_ones(client, sign_in_fully, coordinator):
    sign_in_fully(coordinator)
    client.post("/account/backup-codes/")
    first = re.findall(r"<li>([a-z2-7]{8})</li>", client.get("/account/backup-codes/").content.decode())
    client.post("/account/backup-codes/")
    second = re.findall(r"<li>([a-z2-7]{8})</li>", client.get("/account/backup-codes/").content.decode())
    assert len(first) == len(second) == 10 and not set(first) & set(second)
