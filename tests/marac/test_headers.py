"""Browser hardening on every page: CSP without inline script, no caching, the usual headers."""

import re

import pytest
from django.test import Client

SIGNED_IN_PAGES = ["/", "/account/", "/account/password/", "/account/backup-codes/", "/admin/", "/admin/marac/agency/"]
PUBLIC_PAGES = ["/sign-in/", "/accessibility/"]


@pytest.fixture
def admin_client(client, sign_in_fully, admin_user):
    return sign_in_fully(admin_user)


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def get(path, admin_client):
    """Signed-in pages as an administrator (who sees the most); public pages as nobody."""
    return admin_client.get(path) if path in SIGNED_IN_PAGES else Client().get(path)


@pytest.mark.parametrize("path", SIGNED_IN_PAGES + PUBLIC_PAGES)
def test_csp_forbids_inline_script_and_style(admin_client, path):
    response = get(path, admin_client)
    assert response.status_code == 200
    directives = csp_directives(response)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_signed_in_pages_are_never_cached(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", SIGNED_IN_PAGES[:4] + PUBLIC_PAGES)
def test_our_pages_carry_no_inline_script_or_style(admin_client, path):
    html = get(path, admin_client).content.decode()
    inline_scripts = [tag for tag in re.findall(r"<script[^>]*>", html) if "src=" not in tag]
    assert inline_scripts == []
    assert " style=" not in html
    assert "<style" not in html


def test_the_usual_security_headers(client, db):
    response = client.get("/sign-in/")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_session_and_csrf_cookies_are_not_readable_by_script(client, coordinator):
    client.get("/sign-in/")
    client.post("/sign-in/", {"username": "coordinator", "password": "correct-horse-battery-7"})
    assert client.cookies["sessionid"]["httponly"]
    assert client.cookies["csrftoken"]["httponly"]
    assert client.cookies["sessionid"]["samesite"] == "Lax"


def test_the_page_shell_has_a_skip_link_service_name_and_accessibility_link(client, db):
    html = client.get("/sign-in/").content.decode()
    assert 'href="#main-content"' in html and 'id="main-content"' in html
    assert "MARAC case coordination" in html
    assert 'href="/accessibility/"' in html
    assert "govuk-phase-banner" in html
