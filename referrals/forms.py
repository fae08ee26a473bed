from django import forms

from referrals.models import Victim

# The victim's fields this form can edit; the field policy decides which of them a person gets.
EDITABLE = ["name", "date_of_birth", "address", "phone", "email", "safe_address", "safe_phone", "safe_times", "do_not_contact_via"]


class VictimForm(forms.ModelForm):
    class Meta:
        model = Victim
        fields = EDITABLE
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in ("address", "safe_address", "safe_times", "do_not_contact_via")}


def victim_form_class(writable: list[str]) -> type[VictimForm]:
    """A form with only the fields this person may write: the rest are never decrypted into it."""
    return forms.modelform_factory(Victim, form=VictimForm, fields=[f for f in EDITABLE if f in writable])
