from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm

from marac.models import User, service_accounts


def _without_autofocus(form: forms.Form) -> None:
    """Django focuses the first field on load, which skips a screen reader past the skip link and
    the page's heading; GOV.UK moves focus only to an error summary, and ours does that."""
    for field in form.fields.values():
        field.widget.attrs.pop("autofocus", None)


class SignInForm(AuthenticationForm):
    """Username and password. One message for every failure, so it does not reveal which
    usernames exist."""

    error_messages = {
        "invalid_login": "Enter a correct username and password. Both are case-sensitive.",
        "inactive": "Enter a correct username and password. Both are case-sensitive.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "spellcheck": "false"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        _without_autofocus(self)

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        # A partner system's service account (ADR 0030) is no person: even with a password set
        # by hand it never signs in to the web, and it is told so in the one message for all.
        if User.objects.filter(service_accounts(), pk=user.pk).exists():
            raise self.get_invalid_login_error()


class PasswordChange(PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _without_autofocus(self)


class SecurityCodeForm(forms.Form):
    code = forms.CharField(
        label="Security code",
        help_text="The 6-digit code from your authenticator app, or one of your backup codes.",
        max_length=20,
        error_messages={"required": "Enter the security code", "max_length": "Security codes are at most 20 characters"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        # People copy codes with spaces or hyphens ("123 456"); neither is part of the code.
        return "".join(ch for ch in self.cleaned_data["code"] if ch.isalnum()).lower()


class AuthenticatorCodeForm(SecurityCodeForm):
    """Only a code from the app: where a backup code must not be enough."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = "The 6-digit code your authenticator app shows for this service."
        self.fields["code"].widget.attrs["inputmode"] = "numeric"
