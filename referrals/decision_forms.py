"""Forms for the conversation about a referral, withdrawing it, and closing or reopening a case
(issue 16). Kept apart from referrals.forms so each page's few fields read in one place. Each
keeps what the person typed when it is refused."""

from django import forms

from referrals.conversation import TEXT_LIMIT
from referrals.models import CaseStatusChange

REPLY_HELP = "The coordinator and your agency's referrers on this case see it. Keep it to what the coordinator asked."


def _text(label: str, *, required: bool, message: str = "", help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=TEXT_LIMIT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": message, "max_length": f"Keep it to {TEXT_LIMIT} characters or fewer"},
    )


class ReplyForm(forms.Form):
    text = _text("Your reply", required=True, message="Write your reply", help_text=REPLY_HELP)


class ResubmitForm(forms.Form):
    reply = _text("What you found out (optional)", required=False, help_text=REPLY_HELP)


class WithdrawForm(forms.Form):
    reason = _text(
        "Why are you withdrawing the referral?",
        required=True,
        message="Say why you are withdrawing the referral",
        help_text="The coordinator sees this. For example: it was made on the wrong case.",
    )


class CaseStatusForm(forms.Form):
    """Why a case is closed or reopened: a coded reason, and a note that "other" needs."""

    reason = forms.ChoiceField(label="Reason", widget=forms.RadioSelect, error_messages={"required": "Choose a reason"})
    note = _text("Note (optional)", required=False, help_text="Needed if you chose another reason. It is kept with the case.")

    def __init__(self, *args, reasons: tuple, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(CaseStatusChange.Reason.choices)
        self.fields["reason"].choices = [(code.value, labels[code]) for code in reasons]

    def clean(self):
        data = super().clean()
        if data.get("reason") == CaseStatusChange.Reason.OTHER and not data.get("note", "").strip():
            self.add_error("note", "Say what the other reason is")
        return data
