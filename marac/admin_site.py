from functools import wraps

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse

from marac.models import Role


class MaracAdminSite(admin.AdminSite):
    """The Django admin, open only to verified users with an active administrator membership.

    Its own login page is replaced by the service's two-factor sign-in, and the middleware keeps
    unverified sessions out before this check is reached.
    """

    site_header = "MARAC case coordination: administration"
    site_title = "MARAC administration"
    index_title = "Organisations, people and roles"

    def has_permission(self, request) -> bool:
        user = request.user
        return user.is_active and user.is_verified() and any(m.role == Role.ADMIN for m in getattr(request, "memberships", []))

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def refuse_signed_in_non_administrators(request, *args, **kwargs):
            # Django would redirect them to its login page; they are signed in, so say no.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return refuse_signed_in_non_administrators

    def password_change(self, request, extra_context=None):
        # One password-change page, where wrong current passwords count towards the lockout.
        return redirect("password-change")

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            # Signed in with both factors but not an administrator: refuse, don't loop to sign-in.
            raise PermissionDenied
        return redirect(reverse("sign-in") + "?next=" + reverse("admin:index"))
