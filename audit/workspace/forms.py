from django import forms

from marac.govuk_forms import GovukDateField


class AuditSearchForm(forms.Form):
    username = forms.CharField(label="Username", required=False, max_length=150)
    case_reference = forms.CharField(label="Case reference", required=False, max_length=40)
    event = forms.CharField(
        label="Event", required=False, max_length=60, help_text="For example case_read, sign_in_failed, case_access_denied."
    )
    since = GovukDateField(label="From", required=False)
    until = GovukDateField(label="To", required=False)

    def clean_case_reference(self) -> str:
        # References are stored in capitals (NWL-2026-0001); people type them in any case, with spaces.
        return self.cleaned_data["case_reference"].strip().upper()

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date must be on or after the start date")
        return data
