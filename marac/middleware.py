"""Request guards that apply to every view, so no view can forget them."""

import logging
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.encoding import escape_uri_path
from django_otp import DEVICE_ID_SESSION_KEY

import audit
from marac import refusals
from marac.access_levels import PASSWORD_ONLY, PUBLIC, access_level
from marac.models import Membership
from marac.security.crypto import IntegrityFailure
from marac.viewer import Viewer

logger = logging.getLogger("marac.security")

SIGNED_IN_AT = "marac_signed_in_at"
LAST_SEEN_AT = "marac_last_seen_at"
MEMBERSHIP_IDS = "marac_membership_ids"
SIGNED_OUT_REASON = "marac_signed_out_reason"
# Writing the session on every request costs a database write; a minute's slack on a
# 15-minute idle timeout does not.
LAST_SEEN_WRITE_INTERVAL = 60


# The partner API authenticates each call by its bearer token (api/authentication.py, ADR 0030):
# the sign-in middlewares leave it alone, so a person's session neither reaches it nor is kept
# alive by it, and no view under this prefix is reachable without a token of its own.
API_PREFIX = "/api/v1/"


def is_api_request(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def session_begin(request, user) -> None:
    """Stamp a new signed-in session (called on every sign-in, see apps.py)."""
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
    request.session[MEMBERSHIP_IDS] = sorted(Membership.objects.filter(user=user, is_active=True).values_list("id", flat=True))


class SessionPolicyMiddleware:
    """Ends sessions that are idle, too old, or whose user or membership was deactivated.

    Django already treats an inactive user as anonymous; this also discards such a session so
    it cannot come back, and keeps the reason to tell the person on the sign-in page.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Read before request.user is evaluated: django-otp drops this key if the device is gone.
        if is_api_request(request):
            request.viewer = None  # the API's authentication sets the client's own
            return self.get_response(request)
        was_verified = bool(request.session.get(DEVICE_ID_SESSION_KEY))
        request.viewer = Viewer.of(request.user) if request.user.is_authenticated else None
        if request.user.is_authenticated:
            reason = self.end_reason(request, lost_device=was_verified and not request.user.is_verified())
            if reason:
                self.end_session(request, reason)
            else:
                self.touch(request)
        elif SIGNED_IN_AT in request.session:
            self.end_session(request, "ended")  # the account was deactivated or its password changed
        return self.get_response(request)

    def end_reason(self, request, *, lost_device: bool) -> str | None:
        now = time.time()
        session = request.session
        if now - session.get(SIGNED_IN_AT, 0) > settings.MARAC_SESSION_MAX_SECONDS:
            return "expired"
        if now - session.get(LAST_SEEN_AT, 0) > settings.MARAC_SESSION_IDLE_SECONDS:
            return "idle"
        current_ids = {membership.id for membership in request.viewer.memberships}
        if not set(session.get(MEMBERSHIP_IDS, [])) <= current_ids:
            return "ended"
        if lost_device:
            # The device this session was verified with is gone (a reset, say). Falling back to
            # password-only would let whoever holds the session enrol a new device unchallenged.
            return "ended"
        return None

    def end_session(self, request, reason: str) -> None:
        logger.info("session_ended reason=%s user_id=%s", reason, request.session.get("_auth_user_id"))
        logout(request)
        request.viewer = None
        request.session[SIGNED_OUT_REASON] = reason

    def touch(self, request) -> None:
        now = time.time()
        if now - request.session.get(LAST_SEEN_AT, 0) >= LAST_SEEN_WRITE_INTERVAL:
            request.session[LAST_SEEN_AT] = now


class SecondFactorRequiredMiddleware:
    """No view is reachable before both factors, unless it is explicitly marked otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        level = access_level(view_func)
        if level == PUBLIC or is_api_request(request):
            return None
        if not request.user.is_authenticated:
            return self.redirect_with_next("sign-in", request)
        if level == PASSWORD_ONLY or request.user.is_verified():
            return None
        return self.redirect_with_next("two-factor", request)

    @staticmethod
    def redirect_with_next(url_name: str, request):
        url = reverse(url_name)
        if request.method == "GET":
            url += "?" + urlencode({"next": next_without_search_terms(request)})
        return redirect(url)


# Parameters that may hold what someone typed to find a person (a victim's name, a date of birth):
# the case list takes its search by POST, but an old link or bookmark may still carry them, and
# `next` would copy them into the sign-in page's URL and so into the browser's history.
SEARCH_TERMS = frozenset({"q", "dob", "dob_day", "dob_month", "dob_year"})


def next_without_search_terms(request) -> str:
    """The page asked for, to come back to after signing in, without any search terms."""
    kept = [(name, value) for name, values in request.GET.lists() if name not in SEARCH_TERMS for value in values]
    return escape_uri_path(request.path) + ("?" + urlencode(kept) if kept else "")


class PrivateResponseHeadersMiddleware:
    """Nothing the app renders may be kept by a browser or proxy cache: a shared computer
    must not show the next user a case page from history."""

    PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        response.headers.setdefault("Permissions-Policy", self.PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


class IntegrityFailureMiddleware:
    """A stored value that fails to authenticate (tampering, a swapped row, a lost key) shows a
    safe page and is recorded as a security event; nothing of the value is shown or logged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, IntegrityFailure):
            return None
        from_url = request.resolver_match.kwargs.get("reference", "") if request.resolver_match else ""
        reference = (getattr(exception, "case_reference", "") or from_url)[:40]
        audit.record(event="integrity_failure", request=request, case_reference=reference, outcome="integrity_failure")
        return render(request, "integrity_error.html", status=500)


class RefusalsLoggedMiddleware:
    """A 403 or 404 that a signed-in page raised without marac.refusals.refuse() is still written
    to the access log (once, as `access_denied`); Django then shows its usual 403 or 404 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        refusals.log_unrouted(request, exception)
        return None
