"""The admin is for people with an active administrator membership, after both factors."""

import pytest
from axes.models import AccessAttempt

from marac.models import Agency, MaracArea, Membership, Role
from marac.second_factor import AuthenticatorApp

ADMIN_PAGES = [
    "/admin/",
    "/admin/marac/maracarea/",
    "/admin/marac/maracarea/add/",
    "/admin/marac/agency/",
    "/admin/marac/membership/",
    "/admin/marac/user/",
    "/admin/axes/accessattempt/",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_administrator_can_use_the_admin(client, sign_in_fully, admin_user, path):
    assert sign_in_fully(admin_user).get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_other_roles_are_refused(client, sign_in_fully, coordinator, path):
    assert sign_in_fully(coordinator).get(path).status_code == 403


def test_an_administrator_whose_admin_membership_ends_loses_the_admin(client, sign_in_fully, admin_user, area, idva):
    Membership.objects.create(user=admin_user, agency=idva, area=area, role=Role.REFERRER)
    sign_in_fully(admin_user)
    admin_user.memberships.filter(role=Role.ADMIN).update(is_active=False)
    assert client.get("/admin/").url.startswith("/sign-in/")  # the session ended
    sign_in_fully(admin_user)
    assert client.get("/admin/").status_code == 403


def test_an_administrator_can_create_an_area_with_the_default_rules(client, sign_in_fully, admin_user):
    sign_in_fully(admin_user)
    response = client.post(
        "/admin/marac/maracarea/add/",
        {
            "name": "Hinckley and Bosworth",
            "short_code": "HB",
            "high_risk_threshold": 14,
            "escalation_callouts": 3,
            "escalation_basis": "incidents_reported",
            "reassessment_weeks": 8,
            "retention_months": "",
            "referral_cutoff_working_days": 8,
            "nation": "ENG",
            "repeat_definition": "current",
            "adult_female_population": "",
        },
    )
    assert response.status_code == 302
    area = MaracArea.objects.get(short_code="HB")
    assert area.history.count() == 1 and area.nation == "ENG"  # the change is recorded
    assert area.retention_months is None  # no retention period is assumed (DESIGN 2.6)


def test_bad_area_settings_are_refused_with_a_message(client, sign_in_fully, admin_user):
    sign_in_fully(admin_user)
    response = client.post(
        "/admin/marac/maracarea/add/",
        {
            "name": "<script>x</script>",
            "short_code": "lower case",
            "high_risk_threshold": 99,
            "escalation_callouts": "three",
            "referral_cutoff_working_days": 8,
            "repeat_definition": "sometimes",
        },
    )
    assert response.status_code == 200
    assert not MaracArea.objects.filter(name="<script>x</script>").exists()
    assert "<script>x</script>" not in response.content.decode()


def test_nothing_can_be_deleted_from_the_admin(client, sign_in_fully, admin_user, police):
    sign_in_fully(admin_user)
    assert client.get(f"/admin/marac/agency/{police.pk}/delete/").status_code == 403
    assert Agency.objects.filter(pk=police.pk).exists()


def test_second_factor_secrets_are_not_in_the_admin(client, sign_in_fully, admin_user):
    sign_in_fully(admin_user)
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404
    for model in ("authenticatorapp", "backupcodes", "backupcode"):
        assert client.get(f"/admin/marac/{model}/").status_code == 404


def test_reset_second_factor_makes_the_person_enrol_again(client, sign_in_fully, admin_user, referrer):
    sign_in_fully(admin_user)
    response = client.post("/admin/marac/user/", {"action": "reset_second_factor", "_selected_action": [referrer.pk]})
    assert response.status_code == 302
    assert not AuthenticatorApp.objects.filter(user=referrer).exists()


def test_an_administrator_can_unlock_a_locked_account(client, sign_in_fully, admin_user):
    attempt = AccessAttempt.objects.create(username="referrer", ip_address="203.0.113.9", failures_since_start=5)
    sign_in_fully(admin_user)
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_the_admin_password_change_is_the_services_own(client, sign_in_fully, admin_user):
    sign_in_fully(admin_user)
    assert client.get("/admin/password_change/").url == "/account/password/"
    assert client.post("/admin/password_change/", {"old_password": "guess"}).url == "/account/password/"
