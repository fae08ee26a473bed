"""Administrators manage partner clients: the command prints the secret once (only its hash is
kept), revoking works at once, the admin changes areas (and so the account's memberships) and
revokes, but never shows a secret and cannot add a client."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from oauth2_provider.models import Application

from api.models import PartnerClient
from audit.models import AccessEvent
from marac.models import Membership, Role

pytestmark = pytest.mark.django_db


def test_the_command_adds_a_client_and_prints_its_secret_once(area, other_area, idva):
    out = StringIO()
    call_command("api_client_add", "--name", "IDVA system", "--agency", idva.name, "--area", "NWL", "--area", "CHA", stdout=out)
    printed = dict(re.findall(r"^(client_id|client_secret)=(\S+)$", out.getvalue(), re.M))
    client = PartnerClient.objects.get(name="IDVA system")
    assert client.application.client_id == printed["client_id"]
    assert printed["client_secret"] not in client.application.client_secret  # a hash
    assert client.application.authorization_grant_type == Application.GRANT_CLIENT_CREDENTIALS
    memberships = Membership.objects.filter(user=client.service_user, is_active=True)
    assert {(m.role, m.agency, m.area.short_code) for m in memberships} == {(Role.REFERRER, idva, "NWL"), (Role.REFERRER, idva, "CHA")}
    assert AccessEvent.objects.filter(event="api_client_added").exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--agency", "Nobody", "--area", "NWL"], "No agency"),
        (["--agency", "Loughborough Women's Aid", "--area", "ZZZ"], "No area"),
    ],
)
def test_the_command_refuses_what_does_not_exist(area, idva, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("api_client_add", "--name", "X", *args, stdout=StringIO())
    assert not PartnerClient.objects.exists()


def test_the_command_refuses_a_second_client_of_the_same_name(idva_system, area, idva):
    with pytest.raises(CommandError, match="exists already"):
        call_command("api_client_add", "--name", "IDVA case system", "--agency", idva.name, "--area", "NWL", stdout=StringIO())


def test_revoking_by_command_stops_the_token(idva_system, police_system):
    idva_system.get_token()
    call_command("api_client_revoke", "--client-id", idva_system.client_id, stdout=StringIO())
    assert idva_system.get("/api/v1/referrals/").status_code == 401
    idva_system.partner.refresh_from_db()
    assert not idva_system.partner.is_active and not idva_system.partner.service_user.is_active
    assert not Membership.objects.filter(user=idva_system.partner.service_user, is_active=True).exists()


def test_the_admin_shows_no_secret_and_adds_no_client(idva_system, sign_in_fully, admin_user):
    web = sign_in_fully(admin_user)
    page = web.get(f"/admin/api/partnerclient/{idva_system.partner.pk}/change/")
    assert page.status_code == 200
    content = page.content.decode()
    assert idva_system.client_id in content
    assert idva_system.secret not in content and idva_system.partner.application.client_secret not in content
    assert web.get("/admin/api/partnerclient/add/").status_code == 403
    assert web.get("/admin/oauth2_provider/application/").status_code == 404  # the toolkit's own screens are gone


def test_the_admin_changes_areas_with_the_memberships(idva_system, sign_in_fully, admin_user, area, other_area, idva):
    web = sign_in_fully(admin_user)
    response = web.post(
        f"/admin/api/partnerclient/{idva_system.partner.pk}/change/",
        {"name": "IDVA case system", "areas": [other_area.pk]},
    )
    assert response.status_code == 302, response.content
    active = Membership.objects.filter(user=idva_system.partner.service_user, is_active=True)
    assert [m.area for m in active] == [other_area]
    assert idva_system.submit().status_code == 422  # NWL is no longer its area


def test_the_admin_revokes(idva_system, police_system, sign_in_fully, admin_user):
    web = sign_in_fully(admin_user)
    idva_system.get_token()
    response = web.post("/admin/api/partnerclient/", {"action": "revoke", "_selected_action": [idva_system.partner.pk], "index": 0})
    assert response.status_code == 302
    assert idva_system.get("/api/v1/referrals/").status_code == 401


def test_a_coordinator_cannot_open_the_clients_screen(idva_system, sign_in_fully, coordinator):
    assert sign_in_fully(coordinator).get("/admin/api/partnerclient/").status_code == 403


def test_client_secrets_are_hashed_with_argon2_outside_these_tests():
    """The API tests hash client secrets quickly (conftest); the service itself hashes them with
    the password hasher, Argon2."""
    from django.contrib.auth.hashers import get_hasher

    from marac import settings as configured

    assert configured.OAUTH2_PROVIDER.get("CLIENT_SECRET_HASHER", "default") == "default"
    assert get_hasher("default").algorithm == "argon2"  # production's hasher: tests/marac/test_settings.py
