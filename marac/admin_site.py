from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from marac.models import Role
from marac.refusals import Forbidden, NotFound, refuse


def _page(request) -> str:
    match = request.resolver_match
    return f"admin {match.url_name}" if match and match.url_name else "admin"


class MaracAdminSite(admin.AdminSite):
    """The Django admin, open only to verified users with an active administrator membership.

    Its own login page is replaced by the service's two-factor sign-in, and the middleware keeps
    unverified sessions out before this check is reached. Every refusal here is logged through
    marac.refusals: a signed-in person who is not an administrator gets a 403 logged as
    `admin_access_denied`; a 403 or 404 the admin itself gives an administrator (deleting, which
    nobody may, or an address inside the admin that leads nowhere) is logged as `admin_action_denied`.
    """

    site_header = "MARAC case coordination: administration"
    site_title = "MARAC administration"
    index_title = "Organisations, people and roles"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_verified() and request.viewer is not None and request.viewer.has_role(Role.ADMIN)

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def refuse_signed_in_non_administrators(request, *args, **kwargs):
            # Django would redirect them to its login page; they are signed in, so say no.
            if request.user.is_authenticated and not self.has_permission(request):
                refuse(request, status=403, event="admin_access_denied", purpose=_page(request))
            try:
                return inner(request, *args, **kwargs)
            except (Forbidden, NotFound):
                raise
            except PermissionDenied:
                refuse(request, status=403, event="admin_action_denied", purpose=_page(request))
            except Http404:
                refuse(request, status=404, event="admin_action_denied", purpose=_page(request))

        return refuse_signed_in_non_administrators

    def password_change(self, request, extra_context=None):
        # One password-change page, where wrong current passwords count towards the lockout.
        return redirect("password-change")

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            # Signed in with both factors but not an administrator: refuse, don't loop to sign-in.
            refuse(request, status=403, event="admin_access_denied", purpose=_page(request))
        return redirect(reverse("sign-in") + "?next=" + reverse("admin:index"))
