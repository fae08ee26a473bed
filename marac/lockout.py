"""Lockout that stops guessing without letting one person shut an office out (ADR 0022).

Failed sign-ins (wrong passwords, and wrong codes from a password-only or signed-in session) are
counted by django-axes, in two counters:

- a username at one address locks after AXES_FAILURE_LIMIT failures: someone guessing one
  person's password from one place;
- a username from anywhere locks after MARAC_ACCOUNT_FAILURE_LIMIT failures: the same guess
  spread over many addresses.

An address is never locked: council and police offices sign in from one address, and a lock by
address let anyone there (or anyone spraying made-up usernames through it) lock every colleague
out for an hour. Instead an address with many failures across usernames is slowed down: it must
wait a little, growing with its failures, after its latest failure. A browser that has completed
both factors for a person carries a signed "known device" cookie, and that person's sign-in from
it is never slowed, so a sprayer on the same network cannot hold them up either.
"""

import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from django.conf import settings
from django.core import signing
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from marac.client_ip import client_ip
from marac.models import User

KNOWN_DEVICE_SALT = "marac.lockout.known-device"
KNOWN_DEVICE_DAYS = 90
KNOWN_DEVICE_PEOPLE = 5  # a shared office computer remembers the last few people


class UsernameLockoutHandler(AxesDatabaseHandler):
    """django-axes's database handler with one limit per counter. AXES_LOCKOUT_PARAMETERS lists
    the pair (username and address) first and the username alone second; axes compares the
    largest count with AXES_FAILURE_LIMIT, so the username's count is shifted to reach that
    limit only at MARAC_ACCOUNT_FAILURE_LIMIT."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        pair, account = (
            attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0 for attempts in self.get_user_attempts(request, credentials)
        )
        return max(pair, account - (settings.MARAC_ACCOUNT_FAILURE_LIMIT - settings.AXES_FAILURE_LIMIT))


def address_wait_seconds(request: HttpRequest, *, username: str) -> int:
    """How long this address must wait before another sign-in is checked: 0 unless it has had
    MARAC_ADDRESS_SLOWDOWN_AFTER failures or more (any usernames) within the lockout window. The
    wait doubles with every further ten failures, up to MARAC_ADDRESS_SLOWDOWN_MAX_SECONDS."""
    if _known_device_for(request, username):
        return 0
    since = timezone.now() - timedelta(hours=settings.AXES_COOLOFF_TIME)
    recent = AccessAttempt.objects.filter(ip_address=client_ip(request), attempt_time__gte=since)
    totals = recent.aggregate(failures=Sum("failures_since_start"), latest=Max("attempt_time"))
    over = (totals["failures"] or 0) - settings.MARAC_ADDRESS_SLOWDOWN_AFTER
    if over < 0:
        return 0
    delay = min(settings.MARAC_ADDRESS_SLOWDOWN_SECONDS * 2 ** (over // 10), settings.MARAC_ADDRESS_SLOWDOWN_MAX_SECONDS)
    remaining = delay - (timezone.now() - totals["latest"]).total_seconds()
    return max(0, math.ceil(remaining))


def _cookie_name() -> str:
    # __Host-: sent only over HTTPS, to this host, path / (as the session cookie in production).
    return "__Host-marac-known-device" if settings.SESSION_COOKIE_SECURE else "marac-known-device"


def _known_people(request: HttpRequest) -> list[int]:
    try:
        people = signing.loads(request.COOKIES.get(_cookie_name(), ""), salt=KNOWN_DEVICE_SALT, max_age=timedelta(days=KNOWN_DEVICE_DAYS))
    except signing.BadSignature:
        return []
    return [pk for pk in people if isinstance(pk, int)] if isinstance(people, list) else []


def _known_device_for(request: HttpRequest, username: str) -> bool:
    known = _known_people(request)
    return bool(known) and User.objects.filter(username=username, pk__in=known).exists()


def remember_known_device(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """After both factors: this browser is one the person uses (HttpOnly, signed, 90 days)."""
    people = [request.user.pk, *(pk for pk in _known_people(request) if pk != request.user.pk)][:KNOWN_DEVICE_PEOPLE]
    response.set_cookie(
        _cookie_name(),
        signing.dumps(people, salt=KNOWN_DEVICE_SALT),
        max_age=KNOWN_DEVICE_DAYS * 24 * 3600,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
