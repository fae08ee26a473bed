"""The upload and confirm forms. A refused upload keeps what the person chose (the area, whether
to import the good rows only); a browser never lets a page keep the chosen file."""

from django import forms

from imports.reading import MAX_BYTES
from marac.models import MaracArea

GOOD_ROWS_LABEL = "If some rows have errors, import the rows without errors"


class UploadForm(forms.Form):
    area = forms.TypedChoiceField(
        label="Which MARAC area are the cases in?",
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the area the cases are in", "invalid_choice": "Choose one of your areas"},
    )
    file = forms.FileField(
        label="Upload a file",
        help_text=f"A CSV or Excel (.xlsx) file, {MAX_BYTES // (1024 * 1024)} MB at most, with the template's column names.",
        error_messages={"required": "Choose a CSV or Excel (.xlsx) file", "empty": "The file is empty"},
    )
    good_rows_only = forms.BooleanField(label=GOOD_ROWS_LABEL, required=False)

    def __init__(self, *args, areas: list[MaracArea], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [(area.pk, area.name) for area in areas]  # type: ignore[attr-defined]
        if len(areas) == 1:
            self.fields["area"].initial = areas[0].pk

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError("Choose a CSV or Excel (.xlsx) file")
        return upload


class ConfirmForm(forms.Form):
    good_rows_only = forms.BooleanField(label=GOOD_ROWS_LABEL, required=False)
