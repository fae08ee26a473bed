"""Forms for case teams and transfers (ADR 0019): codes and choices only, no typed text, because
allocations and transfer decisions are shown to auditors and outlive a case's erasure."""

from django import forms
from django.utils import timezone

from marac.govuk_forms import GovukDateField, IdChoiceField
from referrals.models import Case, CaseAllocation, CaseTransfer
from referrals.teams import team_workers
from referrals.transfers import holding_agencies


class WorkerChoiceField(IdChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class AllocationForm(forms.Form):
    worker = WorkerChoiceField(label="Worker", queryset=None, empty_label="Choose a worker")
    kind = forms.ChoiceField(
        label="How long for",
        widget=forms.RadioSelect,
        choices=[
            (CaseAllocation.Kind.ALLOCATED, "Until someone ends it"),
            (CaseAllocation.Kind.COVER, "Cover for an absence, until a date"),
        ],
        error_messages={"required": "Choose how long the worker is on the case"},
    )
    until = GovukDateField(label="Last day of cover", required=False, help_text="Only for cover. For example, 27 3 2027.")

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        worker = self.fields["worker"]
        worker.queryset = team_workers(case=case)
        message = f"Choose a worker who refers for {case.referring_agency.name} in {case.area.name}"
        worker.error_messages = {**worker.error_messages, "required": message, "invalid_choice": message}

    def clean(self):
        data = super().clean()
        if data.get("kind") == CaseAllocation.Kind.COVER:
            until = data.get("until")
            if until is None and "until" not in self.errors:
                self.add_error("until", "Enter the last day of cover")
            elif until is not None and until < timezone.localdate():
                self.add_error("until", "The last day of cover must be today or later")
        return data


class OfferDecisionForm(forms.Form):
    """Accept (choosing the agency in the receiving area that holds the case) or decline (a reason
    code). The agency is asked only when some agency has a team lead or referrer there; with none,
    the coordinator holds the case (ADR 0019)."""

    ACCEPT, DECLINE = "accept", "decline"
    decision = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[(ACCEPT, "Accept: the case moves to your area"), (DECLINE, "Decline: the case stays where it is")],
        error_messages={"required": "Choose whether to accept or decline the case"},
    )
    agency = IdChoiceField(
        label="Which agency in your area holds the case",
        queryset=None,
        required=False,
        empty_label="Choose an agency",
        help_text="Only when accepting. Its team lead allocates the case to a worker.",
        error_messages={"invalid_choice": "Choose an agency with a team lead or referrer in your area"},
    )
    reason = forms.ChoiceField(
        label="Why you decline it",
        widget=forms.RadioSelect,
        required=False,
        choices=CaseTransfer.DeclineReason.choices,
        help_text="Only when declining.",
    )

    def __init__(self, *args, offer: CaseTransfer, **kwargs):
        super().__init__(*args, **kwargs)
        agencies = holding_agencies(offer.to_area_id)
        self.has_agencies = agencies.exists()
        if not self.has_agencies:
            del self.fields["agency"]  # nobody there to hold it: the coordinator does
            return
        self.fields["agency"].queryset = agencies
        # The agency that held it before, when it has people in the receiving area too.
        if offer.from_agency_id and agencies.filter(pk=offer.from_agency_id).exists():
            self.fields["agency"].initial = offer.from_agency_id

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.DECLINE and not data.get("reason"):
            self.add_error("reason", "Give the reason for declining")
        accepting = data.get("decision") == self.ACCEPT
        if accepting and self.has_agencies and not data.get("agency") and "agency" not in self.errors:
            self.add_error("agency", "Choose the agency in your area that holds the case")
        return data
