"""The form a case owner records a child's school and Operation Encompass notification on."""

import re
from datetime import datetime, time

from django import forms
from django.utils import timezone

from marac.concurrency import Edits, VersionedForm
from marac.govuk_forms import GovukDateField
from referrals.forms import TEXT_LIMIT
from referrals.models import HouseholdMember

_TIME = re.compile(r"([01]?[0-9]|2[0-3])[:.]([0-5][0-9])")


def encompass_edits(member: HouseholdMember) -> Edits:
    """What the form's version is signed for: this household member's record, and no other."""
    return Edits(purpose="referrals.householdmember.encompass", key=str(member.pk))


def encompass_values(record) -> dict:
    """The form's fields as a household member (or its history row, or nothing) holds them."""
    at = timezone.localtime(record.encompass_notified_at) if record and record.encompass_notified_at else None
    return {
        "school": record.school if record else "",
        "told_on": at.date() if at else None,
        "told_at": f"{at:%H:%M}" if at else "",
        "told_by": record.encompass_notified_by if record else "",
    }


class EncompassForm(VersionedForm, forms.Form):
    """Carries the version of the record it was opened at (marac.concurrency): a colleague's save
    in the meantime is merged, never overwritten."""

    school = forms.CharField(label="School or nursery", required=False, max_length=TEXT_LIMIT)
    told_on = GovukDateField(
        label="Date the school's safeguarding lead was told",
        required=False,
        help_text="Operation Encompass: before the next school day after the incident. Leave blank if the school has not been told.",
    )
    told_at = forms.CharField(
        label="Time they were told", required=False, max_length=5, help_text="Use the 24-hour clock, for example 08:15 or 19:40."
    )
    told_by = forms.CharField(
        label="Who told them, and from which agency",
        required=False,
        max_length=500,
        help_text="For example: PC 1234 Smith, Leicestershire Police.",
    )

    def __init__(self, *args, member: HouseholdMember, **kwargs):
        super().__init__(*args, initial=encompass_values(member), edits=encompass_edits(member), version=member.row_version, **kwargs)

    def clean_told_at(self) -> str:
        text = self.cleaned_data["told_at"].strip()
        if not text:
            return ""
        match = _TIME.fullmatch(text)
        if not match:
            raise forms.ValidationError("Enter the time as hours and minutes on the 24-hour clock, for example 08:15")
        return f"{int(match[1]):02d}:{match[2]}"  # as the record's value is shown, so a merge compares like with like

    def clean(self):
        super().clean()
        data = self.cleaned_data
        told_on, told_at, told_by = data.get("told_on"), data.get("told_at"), data.get("told_by", "").strip()
        data["notified_at"] = None
        if "told_on" in self.errors or "told_at" in self.errors:
            return data
        if told_on and not told_at:
            self.add_error("told_at", "Enter the time the school's safeguarding lead was told")
        elif told_at and not told_on:
            self.add_error("told_on", "Enter the date the school's safeguarding lead was told")
        elif told_on and told_at:
            at = timezone.make_aware(datetime.combine(told_on, time.fromisoformat(told_at)))
            if at > timezone.now():
                self.add_error("told_at", "The time the school was told must be now or in the past")
            data["notified_at"] = at
        if told_on and not told_by:
            self.add_error("told_by", "Say who told the school's safeguarding lead, and from which agency")
        elif told_by and not told_on and "told_on" not in self.errors:
            self.add_error("told_on", "Enter the date the school's safeguarding lead was told, or leave who told them blank")
        return data
