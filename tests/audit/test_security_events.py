"""Sign-ins, failures, lockouts, resets and key rotation are in the access log too."""

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from audit.models import AccessEvent
from demo.management.commands._demo import current_code
from tests.conftest import PASSWORD


def events(**filters) -> list[str]:
    return list(AccessEvent.objects.filter(**filters).order_by("sequence").values_list("event", flat=True))


def test_a_sign_in_and_out_is_logged_without_the_typed_username(client, coordinator):
    with time_machine.travel(datetime(2026, 11, 21, 10, 0, 5, tzinfo=UTC), tick=False) as clock:
        client.post("/sign-in/", {"username": "coordinator-typo-hunter2", "password": "nope"})
        client.post("/sign-in/", {"username": "coordinator", "password": PASSWORD})
        client.post("/sign-in/security-code/", {"code": "000000"})
        clock.shift(2)  # past django-otp's wait after a wrong code
        client.post("/sign-in/security-code/", {"code": current_code(coordinator.authenticatorapp_set.get())})
        client.post("/sign-out/")
    assert events() == ["sign_in_failed", "password_accepted", "sign_in_failed", "sign_in", "sign_out"]
    assert not AccessEvent.objects.filter(purpose__contains="hunter2").exists()
    assert events(user=coordinator) == ["password_accepted", "sign_in_failed", "sign_in", "sign_out"]


def test_a_lockout_is_logged(client, coordinator):
    for _ in range(5):
        client.post("/sign-in/", {"username": "coordinator", "password": "wrong-password-1"})
    assert "locked_out" in events(outcome="denied")


def test_key_rotation_and_second_factor_resets_are_logged(coordinator, admin_user):
    from marac.services import second_factor_reset

    call_command("rotate_keys", stdout=StringIO())
    second_factor_reset(user=coordinator, by=admin_user)
    assert events() == ["key_rotation", "second_factor_reset"]
    assert AccessEvent.objects.get(event="second_factor_reset").user == admin_user


@pytest.mark.parametrize("path", ["/meetings/{n}/", "/meetings/actions/{n}/"])
def test_a_huge_number_in_a_url_is_a_logged_404_not_a_failure(sign_in_fully, referrer, path):
    """The purpose names the id; cut to its column, the denied probe is still written (PostgreSQL
    refuses an over-long value where SQLite would keep it)."""
    url = path.format(n="9" * 115)
    assert sign_in_fully(referrer).get(url).status_code == 404
    event = AccessEvent.objects.filter(outcome="denied").latest("sequence")
    assert len(event.purpose) <= 120 and event.user == referrer
