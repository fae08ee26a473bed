"""Forms for emergency access (ADR 0020): asking, and the approver's decision. Codes only: nothing
typed about a case is asked for, so nothing personal is kept outside the case's encryption."""

from django import forms

from marac.security.policy import POLICY, Rel, readable_fields
from referrals.models import BreakGlassGrant, EmergencyAccessRequest

# How the decision names each field an extended grant adds to a plain one. The fields come from
# the policy (extension_fields), so the form cannot promise less than the grant shows: a field
# the policy adds with no words here stops the form loading (KeyError) instead of going unnamed.
EXTENSION_FIELD_WORDS = {
    ("referrals.victim", "address"): "current address",
    ("referrals.victim", "phone"): "phone number",
    ("referrals.victim", "email"): "email address",
    ("referrals.perpetrator", "address"): "address",
}
WHOSE = {"referrals.victim": "the victim's", "referrals.perpetrator": "the perpetrator's"}


def extension_fields() -> list[tuple[str, str]]:
    """(model, field) for each field Rel.BREAK_GLASS_EXTENDED reads and Rel.BREAK_GLASS does not."""
    return [
        (model, name)
        for model in POLICY
        for name in readable_fields(model, {Rel.BREAK_GLASS_EXTENDED})
        if name not in readable_fields(model, {Rel.BREAK_GLASS})
    ]


def _listed(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def extension_in_words() -> str:
    """The fields in words, by whose they are: "the victim's current address, ..., and the perpetrator's address"."""
    by_model: dict[str, list[str]] = {}
    for model, name in extension_fields():
        by_model.setdefault(model, []).append(EXTENSION_FIELD_WORDS[(model, name)])
    return ", and ".join(f"{WHOSE[model]} {_listed(words)}" for model, words in by_model.items())


EXTENSION_SHOWS = extension_in_words()


class BreakGlassForm(forms.Form):
    reference = forms.RegexField(
        label="Case reference",
        regex=r"^[A-Z0-9-]{1,30}$",
        max_length=30,
        help_text="For example NWL-2026-0001.",
        error_messages={"required": "Enter the case reference", "invalid": "Enter a case reference like NWL-2026-0001"},
    )
    reason = forms.ChoiceField(
        label="Why you need it now",
        choices=BreakGlassGrant.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why you need access"},
    )
    understood = forms.BooleanField(
        label="I understand that this access is recorded and reviewed by auditors",
        error_messages={"required": "Confirm that you understand this is recorded and reviewed"},
    )


class EmergencyDecisionForm(forms.Form):
    APPROVE, APPROVE_EXTENDED, REFUSE = "approve", "approve_extended", "refuse"

    decision = forms.ChoiceField(
        label="Your decision",
        choices=[
            (APPROVE, "Approve: they see who the victim is, never where she lives"),
            (APPROVE_EXTENDED, f"Approve, and let them see {EXTENSION_SHOWS} too (never the safe contact details)"),
            (REFUSE, "Refuse"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to approve or refuse the request"},
    )
    extension_reason = forms.ChoiceField(
        label="Why they need these contact details",
        choices=EmergencyAccessRequest.Extension.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text=f"Only if you let them see {EXTENSION_SHOWS}.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.APPROVE_EXTENDED and not data.get("extension_reason"):
            self.add_error("extension_reason", "Choose why they need these contact details")
        if data.get("decision") != self.APPROVE_EXTENDED:
            data["extension_reason"] = ""  # a reason chosen and then another decision: not an extension
        return data
