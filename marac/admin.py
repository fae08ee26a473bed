"""Admin screens for organisations, people and roles (behind both factors, see admin_site.py).

django-otp's own device admins are unregistered: they would let an administrator read or copy
another person's second factor. Administrators reset a second factor instead, which makes the
person enrol again at their next sign-in.
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history.admin import SimpleHistoryAdmin

from marac.models import Agency, MaracArea, Membership, User
from marac.services import second_factor_reset

for device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(device_model):
        admin.site.unregister(device_model)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["agency", "area"]


@admin.register(User)
class MaracUserAdmin(UserAdmin, SimpleHistoryAdmin):
    inlines = [MembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "last_login"]
    list_filter = ["is_active", "is_staff", "memberships__role", "memberships__area"]
    actions = ["reset_second_factor"]
    # Django groups and model permissions are not how this service grants access (DESIGN 4.4).
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("Person", {"fields": ["first_name", "last_name", "email"]}),
        ("Access", {"fields": ["is_active", "is_staff"]}),
        ("Dates", {"fields": ["last_login", "date_joined"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]

    @admin.action(description="Reset second factor (the person enrols again at next sign-in)")
    def reset_second_factor(self, request, queryset):
        for user in queryset:
            second_factor_reset(user=user, by=request.user)
        self.message_user(request, f"Second factor reset for {queryset.count()} people.", messages.SUCCESS)


@admin.register(MaracArea)
class MaracAreaAdmin(SimpleHistoryAdmin):
    list_display = ["name", "short_code", "high_risk_threshold", "escalation_callouts", "repeat_definition"]
    search_fields = ["name", "short_code"]


@admin.register(Agency)
class AgencyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "agency", "area", "is_active"]
    list_filter = ["role", "area", "is_active"]
    search_fields = ["user__username", "user__last_name", "agency__name"]
    autocomplete_fields = ["user", "agency", "area"]
