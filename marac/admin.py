"""Admin screens for organisations, people and roles (behind both factors, see admin_site.py).

Who may use them follows from an active administrator membership (RoleAdminMixin), not from
Django's global model permissions, which this service does not grant (DESIGN 4.4). Nothing is
deleted here: people, memberships, areas and agencies are deactivated or edited, so their
history stays whole.

Second-factor devices (marac.second_factor) have no admin screen: one would let an administrator
read or copy another person's second factor. Administrators reset a second factor instead, which
makes the person enrol again at their next sign-in.
"""

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from marac.models import Agency, MaracArea, Membership, User
from marac.services import second_factor_reset


class RoleAdminMixin:
    """Administrators (by membership) may view, add and change; nobody deletes."""

    def has_module_permission(self, request) -> bool:
        return self.admin_site.has_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_add_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LockoutAdminMixin(RoleAdminMixin):
    """Sign-in attempts are read-only records; deleting a lockout is how an administrator
    unlocks an account after checking with the person."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.admin_site.has_permission(request) and self.model is AccessAttempt


for model, model_admin in ((AccessAttempt, AccessAttemptAdmin), (AccessLog, AccessLogAdmin), (AccessFailureLog, AccessFailureLogAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(model_admin.__name__, (LockoutAdminMixin, model_admin), {}))


class MembershipInline(RoleAdminMixin, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["agency", "area"]


@admin.register(User)
class MaracUserAdmin(RoleAdminMixin, UserAdmin, SimpleHistoryAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "last_login"]
    list_filter = ["is_active", "memberships__role", "memberships__area"]
    actions = ["reset_second_factor"]
    # Django groups and model permissions are not how this service grants access (DESIGN 4.4).
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["is_active"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    @admin.action(description="Reset second factor (the person enrols again at next sign-in)")
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            second_factor_reset(user=user, by=request.user)
        self.message_user(request, f"Second factor reset for {queryset.count()} people.", messages.SUCCESS)


@admin.register(MaracArea)
class MaracAreaAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "name",
        "short_code",
        "nation",
        "high_risk_threshold",
        "escalation_callouts",
        "escalation_basis",
        "repeat_definition",
        "reassessment_weeks",
        "retention_months",
    ]
    search_fields = ["name", "short_code"]


@admin.register(Agency)
class AgencyAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    list_display = ["user", "role", "agency", "area", "is_active"]
    list_filter = ["role", "area", "is_active"]
    search_fields = ["user__username", "user__last_name", "agency__name"]
    autocomplete_fields = ["user", "agency", "area"]
