"""Pages every signed-in person shares, the public pages, and the error pages."""

import logging

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from marac import services, worklist
from marac.access_levels import public
from marac.security.keyring import Keyring

logger = logging.getLogger("marac.health")


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What needs the person's attention, per role, counted and linked to where the work is done;
    their roles below it. Counts and dates only: nothing here reads a victim's data."""
    context = {"work": worklist.work_for(request.viewer), "memberships": request.viewer.memberships}
    return render(request, "marac/home.html", context)


@require_GET
def account(request: HttpRequest) -> HttpResponse:
    context = {
        "memberships": request.viewer.memberships,
        "backup_codes_remaining": services.backup_codes_remaining(user=request.user),
    }
    return render(request, "marac/account.html", context)


@public
@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "marac/accessibility.html")


@public
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database answers and the keys are loaded, else 503. The reason is logged,
    never returned: callers are anonymous load balancers and monitors."""
    problems = [name for name, ok in (("database", _database_answers()), ("keys", _keys_loaded())) if not ok]
    if problems:
        logger.error("health_check_failed problems=%s", ",".join(problems))
        return HttpResponse("unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError:
        return False


def _keys_loaded() -> bool:
    keyring = getattr(settings, "MARAC_KEYRING", None)
    return isinstance(keyring, Keyring) and len(keyring.primary_key) == 32


@public
def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    # Django's reason text is for developers; people get plain words and a way back.
    return render(request, "403_csrf.html", status=403)
