from django import forms

from referrals.models import Victim

# The victim's fields this form can edit; the field policy decides which of them a person gets.
EDITABLE = ["name", "date_of_birth", "address", "phone", "email", "safe_address", "safe_phone", "safe_times", "do_not_contact_via"]


class VictimForm(forms.ModelForm):
    # The version the person started from: saving refuses if someone else saved since.
    row_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    class Meta:
        model = Victim
        fields = EDITABLE
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in ("address", "safe_address", "safe_times", "do_not_contact_via")}

    def __init__(self, *args, instance: Victim, **kwargs):
        # Initial values read through the field descriptors (which decrypt), only for this form's
        # fields; encrypted fields hand serialisers ciphertext, so model_to_dict cannot be used.
        initial = {name: getattr(instance, name) for name in self._meta.fields}
        initial["row_version"] = instance.row_version
        super().__init__(*args, instance=instance, initial=initial, **kwargs)


def victim_form_class(writable: list[str]) -> type[VictimForm]:
    """A form with only the fields this person may write: the rest are never decrypted into it."""
    return forms.modelform_factory(Victim, form=VictimForm, fields=[f for f in EDITABLE if f in writable])
