"""Forms for legal holds (issue 18): placing one (what it is for, and why, typed) and lifting one
(a coded reason). Each keeps what the person typed when it is refused."""

from django import forms

from referrals.conversation import TEXT_LIMIT
from referrals.models import LegalHold


class HoldForm(forms.Form):
    kind = forms.ChoiceField(
        label="What is the hold for?",
        choices=LegalHold.Kind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the hold is for", "invalid_choice": "Choose what the hold is for"},
    )
    reason = forms.CharField(
        label="Why is the hold placed?",
        help_text="The review, claim or request it is for, and who asked. Only the area's coordinators and chair see this.",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": "Say why the hold is placed: the review, claim or request it is for",
            "max_length": f"Keep it to {TEXT_LIMIT} characters or fewer",
        },
    )


class LiftForm(forms.Form):
    lift_reason = forms.ChoiceField(
        label="Why is the hold lifted?",
        choices=LegalHold.LiftReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the hold is lifted", "invalid_choice": "Choose why the hold is lifted"},
    )
