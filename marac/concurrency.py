"""Saving over a colleague's work: the one way every form that edits shared text finds out.

A form carries the version of the record it was opened at, and a signature that binds that
version to that record (one signing salt per kind of record, the record's ids in what is signed).
The version is required and must be signed: a form posted without one would save over whatever
is there now, and a version typed in by hand would make the merge below read old values the
person never saw. A refused version is a form error that keeps what was typed.

A genuine but older version means someone else saved meanwhile. The service refuses with
StaleRecord, and the form is merged: a field the person left alone takes the value saved now (a
second click on Save cannot put back what the colleague replaced), a field both changed keeps the
person's value, marked, with the colleague's shown beside it. The form then carries the version
saved now, so saving again is a deliberate choice.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.http import QueryDict

# The mixin relies on the form it is mixed into; type checkers are told which.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object

# The form's own bookkeeping, never a change to the record.
VERSION_FIELDS = frozenset({"row_version", "version_signature"})
OUT_OF_DATE = "This form is out of date or incomplete, so nothing was saved. Check what you entered below, then save again."
CHANGED_TOO = "Someone else changed this too. What is saved now is shown above the form: check yours against it, then save again."


class StaleRecord(ValidationError):
    """Someone else saved the record after this person opened it; nothing was saved."""

    def __init__(self, message: str = "Someone else saved this while you were working on it, so nothing was saved."):
        super().__init__(message, code="stale")


@dataclass(frozen=True)
class Edits:
    """The record a form edits: `purpose` names the kind of record (its own salt) and `key` the one
    record, so a version signed for one record never passes for another."""

    purpose: str
    key: str

    def _signer(self) -> signing.Signer:
        return signing.Signer(salt=f"marac.concurrency.{self.purpose}")

    def sign(self, version: str) -> str:
        return self._signer().signature(f"{self.key}|{version}")

    def verifies(self, version: str, signature: str) -> bool:
        # unsign() compares in constant time and accepts SECRET_KEY_FALLBACKS during a key rotation.
        signer = self._signer()
        try:
            signer.unsign(f"{self.key}|{version}{signer.sep}{signature}")
        except signing.BadSignature:
            return False
        return True


class VersionedForm(_FormBase):
    """Mix into a Form or ModelForm (first, before it): adds the hidden version and its signature,
    and refuses a missing or forged one with OUT_OF_DATE at the top of the form. Once the form is
    valid, cleaned_data["row_version"] is the version the person opened, parsed."""

    # Most records count their saves; a form whose version is something else says how to read it.
    parse_version = staticmethod(int)
    format_version = staticmethod(str)

    def __init__(self, *args, edits: Edits, version, **kwargs):
        super().__init__(*args, **kwargs)
        self.edits = edits
        self.version_refused = False
        self.saved_meanwhile: list[tuple[str, str, str]] = []  # (field name, label, what is saved now)
        self.fields["row_version"] = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
        self.fields["version_signature"] = forms.CharField(widget=forms.HiddenInput, required=False, strip=False)
        self.initial = {**self.initial, **self.version_data(edits, version)}

    @classmethod
    def version_data(cls, edits: Edits, version) -> dict[str, str]:
        """The two hidden values a form opened at `version` of the record `edits` posts."""
        text = cls.format_version(version)
        return {"row_version": text, "version_signature": edits.sign(text)}

    def clean(self):
        super().clean()
        data = self.cleaned_data
        text = data.get("row_version") or ""
        if self.edits.verifies(text, data.get("version_signature") or ""):
            data["row_version"] = self.parse_version(text)
        else:
            self.version_refused = True
            self.add_error(None, OUT_OF_DATE)
        return data

    def catch_up(self, current, *, opened_version, values: Callable[[Any], dict]) -> None:
        """Merge the form with `current`, the record as saved now (None: nothing saved yet);
        `values(record)` gives the form's fields as a record (or its history row) holds them.
        The person started from a blank page at version 0 or when there is no record, from the
        history row of the version they opened, or from nothing known when their version was
        refused (`opened_version` None)."""
        opened = None
        if opened_version == 0 or current is None:
            opened = values(None)
        elif opened_version is not None:
            row = current.history.filter(row_version=opened_version).select_related("case__data_key").order_by("-history_id").first()
            opened = values(row) if row else None
        self.merge_stale(opened=opened, now=values(current), version=current.row_version if current else 0)

    def merge_stale(self, *, opened: dict | None, now: dict, version) -> None:
        """Bring the form up to `version`, whose values are `now`; `opened` holds the values the
        person started from, or None when nothing says what they were (then every difference is
        marked, and nothing is assumed to be theirs or the colleague's)."""
        data = QueryDict(mutable=True)
        data.update(self.data)  # every value of every field, ticked boxes included
        for name, value in self.version_data(self.edits, version).items():
            data[self.add_prefix(name)] = value
        for name, saved in now.items():
            if name in self.errors:  # their own error already asks them to look at it
                continue
            mine, was = _comparable(self.cleaned_data.get(name)), _comparable(opened.get(name)) if opened is not None else None
            if opened is not None and mine == was:
                _retype(data, self.fields[name].widget, self.add_prefix(name), saved)
            elif mine != _comparable(saved) and (opened is None or _comparable(saved) != was):
                self.add_error(name, CHANGED_TOO)
                self.saved_meanwhile.append((name, str(self[name].label), _shown(self.fields[name], saved)))
        self.data = data


def _comparable(value):
    """Ticked boxes compare as sets of ids or codes, whatever order they came in; blank is blank."""
    if isinstance(value, list | tuple | set | frozenset | models.QuerySet):
        return frozenset(str(getattr(item, "pk", item)) for item in value)
    return "" if value is None else value


def _retype(data: QueryDict, widget: forms.Widget, key: str, value) -> None:
    """Put a value into a bound form's data as its widget would have posted it."""
    if isinstance(widget, forms.MultiWidget):
        names = getattr(widget, "widgets_names", [])  # Django's; not in django-stubs
        for suffix, part in zip(names, widget.decompress(value) or [None] * len(names), strict=True):
            data[key + suffix] = "" if part is None else str(part)
    elif getattr(widget, "allow_multiple_selected", False):
        data.setlist(key, [str(getattr(item, "pk", item)) for item in value or ()])
    elif isinstance(widget, forms.CheckboxInput):
        if value:
            data[key] = "on"
        else:
            data.pop(key, None)
    else:
        data[key] = "" if value is None else str(value)


def _shown(field: forms.Field, value) -> str:
    """A saved value as the person reads it: choice labels rather than codes, dates in words."""
    items = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
    # Model choices are shown by their names (str); other choices map codes to labels.
    labels = {} if isinstance(field, forms.ModelChoiceField) else dict(getattr(field, "choices", ()))
    words = []
    for item in items:
        if isinstance(item, bool):
            words.append("Yes" if item else "No")
        elif isinstance(item, date):
            words.append(f"{item.day} {item:%B %Y}")
        elif item not in (None, ""):
            words.append(str(labels.get(item, item)))
    return ", ".join(sorted(words)) or "(left blank)"
