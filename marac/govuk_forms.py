"""Django forms rendered as GOV.UK Design System components.

The markup lives in templates/forms/; the template tags that help it are in
marac/templatetags/govuk.py.
"""

import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

DATE_PARTS = ("day", "month", "year")
_DIGITS = re.compile(r"[0-9]+")  # not str.isdigit(): int() also takes "1_000" and non-ASCII digits


class GovukFormRenderer(TemplatesSetting):
    """Renders through the project's template engine, so templates/forms/ can replace Django's
    form templates (Django's widget templates come from "django.forms" in INSTALLED_APPS)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"


class GovukDateInput(forms.MultiWidget):
    """Day, month and year boxes: GOV.UK's date input pattern, which works without a date picker."""

    labels = ("Day", "Month", "Year")

    def __init__(self, attrs=None):
        def box(width):
            return forms.TextInput(
                attrs={"class": f"govuk-input govuk-date-input__input govuk-input--width-{width}", "inputmode": "numeric"}
            )

        super().__init__(dict(zip(DATE_PARTS, (box(2), box(2), box(4)), strict=True)), attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    def id_for_label(self, id_):
        # GOV.UK links the error summary to the day box; Django would give no id at all.
        return f"{id_}_0" if id_ else ""


class GovukDateField(forms.MultiValueField):
    """A date typed into three boxes. Cleans to `datetime.date`.

    Messages follow the GOV.UK date input guidance. They name the field by its `label`, so give
    the field one. Junk (letters, 31 February, a 40-digit year) is a validation error, never a
    500, and the boxes keep what was typed.
    """

    widget = GovukDateInput
    default_error_messages = {
        "required": "Enter a date",
        "incomplete": "%(label)s must include a %(missing)s",
        "invalid": "%(label)s must be a real date",
        "invalid_year": "Year must include 4 numbers",
    }

    def __init__(self, **kwargs):
        # The boxes are checked together in compress() so the message can say which are missing;
        # and no box carries the HTML `required` attribute, whose browser pop-up would pre-empt
        # the GOV.UK error message.
        boxes = [forms.CharField(required=False) for _ in DATE_PARTS]
        super().__init__(boxes, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not any(data_list):  # [] when the boxes were empty, or only spaces were typed
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return None
        params = {"label": self.label or "Date"}
        if missing := [part for part, text in zip(DATE_PARTS, data_list, strict=True) if not text]:
            params["missing"] = " and ".join(missing)
            raise ValidationError(self.error_messages["incomplete"], code="incomplete", params=params)
        day, month, year = data_list
        if not all(_DIGITS.fullmatch(text) for text in data_list):
            raise ValidationError(self.error_messages["invalid"], code="invalid", params=params)
        if len(year) != 4:
            raise ValidationError(self.error_messages["invalid_year"], code="invalid_year")
        try:
            return datetime.date(int(year), int(month), int(day))
        except (ValueError, OverflowError):  # 31 February, month 13, a 30-digit day
            raise ValidationError(self.error_messages["invalid"], code="invalid", params=params) from None


_ID = re.compile(r"[0-9]{1,18}")


class IdChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that refuses anything but a plausible id before querying: SQLite raises
    OverflowError (a 500) for an integer past 64 bits, where a bad choice should be a form error."""

    def to_python(self, value):
        if value not in self.empty_values and not _ID.fullmatch(str(value)):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(forms.ModelMultipleChoiceField):
    """IdChoiceField's check for each of several ids."""

    def _check_values(self, value):
        for item in value:
            if not _ID.fullmatch(str(item)):
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice", params={"value": item})
        return super()._check_values(value)
