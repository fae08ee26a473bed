"""The re-authentication gate: a security code entered again shortly before a download (DESIGN 4.6).
Sign-in's confirm-identity step sets the time; pack and export views ask whether it is recent."""

import time
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

REAUTHENTICATED_AT = "marac_reauthenticated_at"
REAUTHENTICATION_WINDOW_SECONDS = 15 * 60


def recently_reauthenticated(request: HttpRequest) -> bool:
    """Whether the person entered a security code in the last 15 minutes (DESIGN 4.6): a session
    left open on a shared computer must not be enough to download a pack."""
    at = request.session.get(REAUTHENTICATED_AT)
    return isinstance(at, float) and 0 <= time.time() - at < REAUTHENTICATION_WINDOW_SECONDS


def reauthentication_redirect(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('confirm-identity')}?{urlencode({'next': request.get_full_path()})}")
