"""Signing in: password, then the second factor (enrolling one at first sign-in), signing out,
changing the password and backup codes.

The only views here reachable without both factors are marked @public or @password_only.
"""

import base64
import io
import logging
import time

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.models import Device

import audit
from marac import services
from marac.access_levels import password_only, public
from marac.forms import AuthenticatorCodeForm, PasswordChange, SecurityCodeForm, SignInForm
from marac.lockout import address_wait_seconds, remember_known_device
from marac.middleware import SIGNED_OUT_REASON
from marac.reauth import REAUTHENTICATED_AT
from marac.second_factor import AuthenticatorApp, CodeCheck, second_factor_check

logger = logging.getLogger("marac.security")

NEXT_URL = "marac_next"
NEW_BACKUP_CODES = "marac_new_backup_codes"
ENROLMENT_DEVICE = "marac_enrolment_device_id"
SIGNED_OUT_MESSAGES = {
    "idle": "You were signed out because you had not done anything for 15 minutes.",
    "expired": "You were signed out because you had been signed in for 10 hours.",
    "ended": "Your session was ended because your access changed. Sign in again.",
    "signed_out": "You have signed out.",
}


def _remember_next(request: HttpRequest) -> None:
    """Keep ?next= for after the second factor, only if it points at this site."""
    candidate = request.GET.get("next", "")
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        request.session[NEXT_URL] = candidate


def _redirect_after_sign_in(request: HttpRequest) -> HttpResponse:
    return redirect(request.session.pop(NEXT_URL, None) or reverse("home"))


@public
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_verified():
        return redirect("home")
    _remember_next(request)
    if request.method == "POST" and (wait := address_wait_seconds(request, username=request.POST.get("username", ""))):
        return _slowed_down(request, wait)
    form = SignInForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        next_url = request.session.get(NEXT_URL)
        login(request, form.get_user())  # rotates the session key
        audit.record(event="password_accepted", request=request, purpose="sign in")
        if next_url:
            request.session[NEXT_URL] = next_url
        return redirect("two-factor")
    if request.method == "POST":
        # Never the username typed: people sometimes type their password into that box.
        audit.record(event="sign_in_failed", request=request, purpose="password", outcome="denied")
    reason = request.session.pop(SIGNED_OUT_REASON, None)
    return render(request, "registration/sign_in.html", {"form": form, "notice": SIGNED_OUT_MESSAGES.get(reason)})


def _slowed_down(request: HttpRequest, seconds: int) -> HttpResponse:
    """Many failed sign-ins from this address, for any usernames: the password is not checked
    (so not counted) for a short while. Never a lock: a colleague waits seconds, not an hour."""
    logger.info("sign_in_slowed_down seconds=%s", seconds)
    audit.record(event="sign_in_slowed_down", request=request, purpose="address", outcome="denied")
    return render(request, "registration/slowed_down.html", {"seconds": seconds}, status=429)


@password_only
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    if request.user.is_verified():
        return _redirect_after_sign_in(request)
    if services.totp_confirmed_device(user=request.user) is None:
        return redirect("enrol")
    if request.method == "POST" and _account_locked(request):
        return _locked_out(request)  # a session opened before the lock gets no more tries
    _remember_next(request)
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = second_factor_check(user=request.user, code=form.cleaned_data["code"])
        if check.device is not None:
            _complete_sign_in(request, check.device)
            return remember_known_device(request, _redirect_after_sign_in(request))
        if not check.wait_seconds and _count_failure(request, "second_factor_failed"):
            return _locked_out(request)
        form.add_error("code", _code_refused(check))
    return render(request, "registration/two_factor.html", {"form": form})


def _code_refused(check: CodeCheck) -> str:
    """Why a code was not accepted, honestly: after a wrong code django-otp checks no code, the
    right one included, for a few seconds (1, 2, 4, 8...). Saying "not correct" then made people
    doubt a correct code; a code not checked is not counted towards the lockout either."""
    if check.wait_seconds:
        seconds = "1 second" if check.wait_seconds == 1 else f"{check.wait_seconds} seconds"
        return f"Wait {seconds}, then enter the security code again. After a wrong code there is a short wait before another is checked"
    return "The security code is not correct or has already been used"


def _complete_sign_in(request: HttpRequest, device: Device) -> None:
    django_otp.login(request, device)
    request.session.cycle_key()  # a new key once the session carries full privileges
    request.session[REAUTHENTICATED_AT] = time.time()
    # Only now, with both factors proven, are the account's counted failures forgiven.
    axes_reset(username=request.user.get_username())
    logger.info("sign_in_completed user_id=%s device=%s", request.user.pk, type(device).__name__)
    audit.record(event="sign_in", request=request, purpose=type(device).__name__)


def _account_locked(request: HttpRequest) -> bool:
    return AxesProxyHandler.is_locked(request, {"username": request.user.get_username()})


def _count_failure(request: HttpRequest, event: str) -> bool:
    """Count a wrong code or password from a signed-in session towards the account's lockout,
    as django-axes counts wrong passwords at sign-in. True if the account is now locked."""
    user_login_failed.send(sender=__name__, credentials={"username": request.user.get_username()}, request=request)
    logger.info("%s user_id=%s", event, request.user.pk)
    audit.record(event="sign_in_failed", request=request, purpose=event, outcome="denied")
    return _account_locked(request)


def _locked_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return render(request, "registration/locked_out.html", status=429)


@password_only
@require_http_methods(["GET", "POST"])
def enrol(request: HttpRequest) -> HttpResponse:
    # Only a person with no second factor may enrol one: otherwise a stolen password
    # would be enough to add the thief's own authenticator.
    if services.totp_confirmed_device(user=request.user) is not None:
        return redirect("two-factor")
    if request.method == "POST" and _account_locked(request):
        return _locked_out(request)
    if request.method == "GET":
        device = services.totp_enrolment_start(user=request.user)
        request.session[ENROLMENT_DEVICE] = device.pk
    else:
        device = services.totp_enrolment_device(user=request.user, device_id=request.session.get(ENROLMENT_DEVICE))
        if device is None:  # the key was replaced by a later visit to this page
            return redirect("enrol")
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_enrolment_confirm(user=request.user, device=device, token=form.cleaned_data["code"]):
            _complete_sign_in(request, device)
            request.session[NEW_BACKUP_CODES] = services.backup_codes_issue(user=request.user)
            return remember_known_device(request, redirect("backup-codes"))
        if _count_failure(request, "enrolment_code_failed"):
            return _locked_out(request)
        form.add_error("code", "The security code is not correct. Check the time on your phone is right and try again")
    context = {"form": form, "qr_code": _qr_svg(device.config_url), "secret": _grouped_secret(device)}
    return render(request, "registration/enrol.html", context)


def _qr_svg(text: str) -> str:
    out = io.BytesIO()
    segno.make(text, error="m").save(out, kind="svg", xmldecl=False, svgns=True, scale=4, title="QR code")
    # Markup generated by segno from the device URL (no user-entered text), safe to embed.
    # Segno's SVG of the device URL, no user text
    return mark_safe(out.getvalue().decode("ascii"))  # noqa: S308  # nosec B308, B703


def _grouped_secret(device: AuthenticatorApp) -> str:
    key = base64.b32encode(device.bin_key).decode("ascii")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@require_http_methods(["GET", "POST"])
def backup_codes(request: HttpRequest) -> HttpResponse:
    # New codes are as good as the second factor itself, so a borrowed session is not enough:
    # the person proves they still hold their authenticator app.
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = second_factor_check(user=request.user, code=form.cleaned_data["code"], authenticator_only=True)
        if check.device is not None:
            request.session[NEW_BACKUP_CODES] = services.backup_codes_issue(user=request.user)
            return redirect("backup-codes")
        if not check.wait_seconds and _count_failure(request, "backup_codes_code_failed"):
            return _locked_out(request)
        form.add_error("code", _code_refused(check))
    context = {
        "form": form,
        "new_codes": request.session.pop(NEW_BACKUP_CODES, None) if request.method == "GET" else None,
        "remaining": services.backup_codes_remaining(user=request.user),
    }
    return render(request, "registration/backup_codes.html", context)


@password_only
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logger.info("signed_out user_id=%s", request.user.pk)
    audit.record(event="sign_out", request=request)
    logout(request)
    request.session[SIGNED_OUT_REASON] = "signed_out"
    return redirect("sign-in")


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChange(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        form.save()
        update_session_auth_hash(request, form.user)  # stay signed in here; other sessions end
        logger.info("password_changed user_id=%s", request.user.pk)
        audit.record(event="password_changed", request=request)
        messages.success(request, "Your password has been changed.")
        return redirect("account")
    # A borrowed session must not become a place to guess the password without limit.
    if request.method == "POST" and "old_password" in form.errors and _count_failure(request, "password_check_failed"):
        return _locked_out(request)
    return render(request, "registration/password_change.html", {"form": form})


@require_http_methods(["GET", "POST"])
def confirm_identity(request: HttpRequest) -> HttpResponse:
    """Enter a security code again before downloading a pack or an export."""
    if request.method == "POST" and _account_locked(request):
        return _locked_out(request)
    candidate = request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure())
    next_url = candidate if safe and candidate.startswith("/") else reverse("home")
    form = SecurityCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = second_factor_check(user=request.user, code=form.cleaned_data["code"])
        if check.device is not None:
            request.session[REAUTHENTICATED_AT] = time.time()
            audit.record(event="reauthenticated", request=request, purpose="before download")
            return redirect(next_url)
        if not check.wait_seconds and _count_failure(request, "reauthentication_failed"):
            return _locked_out(request)
        form.add_error("code", _code_refused(check))
    return render(request, "registration/confirm_identity.html", {"form": form, "next_url": next_url})
