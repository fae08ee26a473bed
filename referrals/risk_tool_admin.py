"""The admin screen for each area's referral criteria for other risk tools (ADR 0024): which of a
tool's levels meet visible high risk there. Registered from ReferralsConfig.ready(), beside the
area settings marac/admin.py shows (the core cannot import referrals)."""

from django import forms
from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from marac.admin import RoleAdminMixin
from referrals import risk_tools
from referrals.models import AreaToolCriteria


class AreaToolCriteriaForm(forms.ModelForm):
    high_risk_levels = forms.MultipleChoiceField(
        label="Levels that are visible high risk",
        choices=risk_tools.LEVEL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Without a row for a tool, its top level is. The model checks each level is one the tool gives.",
    )

    class Meta:
        model = AreaToolCriteria
        fields = ["area", "tool", "high_risk_levels"]


class AreaToolCriteriaAdmin(RoleAdminMixin, SimpleHistoryAdmin):
    form = AreaToolCriteriaForm
    list_display = ["area", "tool", "high_risk_levels"]
    list_filter = ["area", "tool"]


def register() -> None:
    if not admin.site.is_registered(AreaToolCriteria):
        admin.site.register(AreaToolCriteria, AreaToolCriteriaAdmin)
