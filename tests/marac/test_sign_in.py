"""Password, then a security code: the whole sign-in, and the ways people attack it."""

from datetime import UTC, datetime

import pytest
import time_machine

from demo.management.commands._demo import current_code
from marac import services
from marac.second_factor import AuthenticatorApp, BackupCode
from tests.conftest import PASSWORD

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def enter_password(client, username, password=PASSWORD, next_url=None):
    url = "/sign-in/" + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": username, "password": password})


def enter_code(client, code):
    return client.post("/sign-in/security-code/", {"code": code})


def device_of(user):
    return AuthenticatorApp.objects.get(user=user, confirmed=True)


@pytest.fixture
def frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_password_then_code_signs_the_person_in(client, coordinator, frozen_clock):
    response = enter_password(client, "coordinator")
    assert response.status_code == 302 and response.url == "/sign-in/security-code/"
    assert client.get("/").url.startswith("/sign-in/security-code/")  # not in yet

    response = enter_code(client, current_code(device_of(coordinator)))
    assert response.status_code == 302 and response.url == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "MARAC coordinator" in page.content.decode()


def test_wrong_password_and_unknown_username_get_the_same_message(client, coordinator):
    wrong = enter_password(client, "coordinator", "not-the-password").content.decode()
    unknown = enter_password(client, "nobody-here", "not-the-password").content.decode()
    message = "Enter a correct username and password"
    assert message in wrong and message in unknown
    assert "govuk-error-summary" in wrong


def test_the_username_typed_is_kept_after_a_failed_attempt(client, coordinator):
    page = enter_password(client, "coordinator", "wrong-password-1").content.decode()
    assert 'value="coordinator"' in page


def test_a_used_code_is_rejected_when_replayed(client, coordinator, frozen_clock):
    code = current_code(device_of(coordinator))
    enter_password(client, "coordinator")
    assert enter_code(client, code).url == "/"
    client.post("/sign-out/")

    enter_password(client, "coordinator")
    response = enter_code(client, code)
    assert response.status_code == 200
    assert "not correct or has already been used" in response.content.decode()
    assert client.get("/").status_code == 302


def test_a_wrong_code_is_rejected(client, coordinator, frozen_clock):
    enter_password(client, "coordinator")
    good = current_code(device_of(coordinator))
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    assert enter_code(client, wrong).status_code == 200
    assert client.get("/").status_code == 302


def test_a_backup_code_works_once(client, coordinator):
    codes = services.backup_codes_issue(user=coordinator)
    enter_password(client, "coordinator")
    assert enter_code(client, codes[0].upper()).url == "/"  # typed in capitals: still accepted
    client.post("/sign-out/")

    enter_password(client, "coordinator")
    assert enter_code(client, codes[0]).status_code == 200
    assert BackupCode.objects.filter(device__user=coordinator).count() == len(codes) - 1


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "https:/evil.example", "javascript:alert(1)"])
def test_next_pointing_at_another_site_is_not_followed(client, coordinator, frozen_clock, next_url):
    enter_password(client, "coordinator", next_url=next_url)
    response = enter_code(client, current_code(device_of(coordinator)))
    assert response.url == "/"


def test_next_on_this_site_is_followed(client, coordinator, frozen_clock):
    enter_password(client, "coordinator", next_url="/account/")
    assert enter_code(client, current_code(device_of(coordinator))).url == "/account/"


def test_a_page_asked_for_before_signing_in_is_shown_after(client, coordinator, frozen_clock):
    first = client.get("/account/")
    assert first.url == "/sign-in/?next=%2Faccount%2F"
    enter_password(client, "coordinator", next_url="/account/")
    assert enter_code(client, current_code(device_of(coordinator))).url == "/account/"


def test_oversize_and_junk_codes_get_an_error_not_a_crash(client, coordinator):
    enter_password(client, "coordinator")
    for junk in ["9" * 5000, "<script>alert(1)</script>", "", "١٢٣٤٥٦"]:
        response = enter_code(client, junk)
        assert response.status_code == 200
        assert "govuk-error-summary" in response.content.decode()
        assert "<script>alert(1)</script>" not in response.content.decode()


def test_sign_out_needs_a_post(client, sign_in_fully, coordinator):
    sign_in_fully(coordinator)
    assert client.get("/sign-out/").status_code == 405
    assert client.get("/").status_code == 200


def test_sign_out_ends_the_session(client, sign_in_fully, coordinator):
    sign_in_fully(coordinator)
    response = client.post("/sign-out/")
    assert response.url == "/sign-in/"
    assert "You have signed out" in client.get("/sign-in/").content.decode()
    assert client.get("/").url.startswith("/sign-in/")


def test_signing_in_rotates_the_session_key(client, coordinator, frozen_clock):
    client.get("/sign-in/")
    enter_password(client, "coordinator")
    key_after_password = client.session.session_key
    enter_code(client, current_code(device_of(coordinator)))
    assert client.session.session_key != key_after_password


def test_a_password_only_session_cannot_reach_the_admin(client, admin_user):
    enter_password(client, "admin")
    response = client.get("/admin/")
    assert response.url.startswith("/sign-in/security-code/")
