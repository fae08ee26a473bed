"""The signed version every form that edits shared text carries (marac.concurrency): it holds only
for the record and the kind of record it was signed for, and a form without it is refused."""

from django import forms
from django.test import override_settings

from marac.concurrency import OUT_OF_DATE, Edits, VersionedForm


class NoteForm(VersionedForm, forms.Form):
    text = forms.CharField(required=False)


def test_a_version_holds_only_for_the_record_and_kind_it_was_signed_for():
    signature = Edits("notes", "7").sign("3")
    assert Edits("notes", "7").verifies("3", signature)
    assert not Edits("notes", "7").verifies("4", signature)
    assert not Edits("notes", "8").verifies("3", signature)
    assert not Edits("minutes", "7").verifies("3", signature)
    assert not Edits("notes", "7|3").verifies("", signature)  # the record's key and the version cannot be run together


def test_forms_opened_before_a_secret_key_rotation_still_save():
    with override_settings(SECRET_KEY="the-old-key-" * 4):
        signature = Edits("notes", "7").sign("3")
    with override_settings(SECRET_KEY="the-new-key-" * 4, SECRET_KEY_FALLBACKS=["the-old-key-" * 4]):
        assert Edits("notes", "7").verifies("3", signature)
    with override_settings(SECRET_KEY="the-new-key-" * 4, SECRET_KEY_FALLBACKS=[]):
        assert not Edits("notes", "7").verifies("3", signature)


def test_a_form_reads_its_version_only_when_the_signature_holds():
    edits = Edits("notes", "7")
    form = NoteForm({"text": "Mine", **NoteForm.version_data(edits, 3)}, edits=edits, version=5)
    assert form.is_valid() and form.cleaned_data["row_version"] == 3


def test_a_form_without_its_version_is_refused_at_the_top_and_keeps_the_text():
    edits = Edits("notes", "7")
    form = NoteForm({"text": "Mine", "row_version": "3"}, edits=edits, version=3)
    assert not form.is_valid() and form.version_refused
    assert form.non_field_errors() == [OUT_OF_DATE] and form.cleaned_data["text"] == "Mine"


def test_the_merge_marks_a_field_both_changed_and_takes_up_one_only_the_colleague_changed():
    edits = Edits("notes", "7")
    form = NoteForm({"text": "Mine", **NoteForm.version_data(edits, 1)}, edits=edits, version=1)
    form.fields["other"] = forms.CharField(required=False, label="Other")
    assert form.is_valid()
    form.merge_stale(opened={"text": "Was", "other": ""}, now={"text": "Theirs", "other": "Also theirs"}, version=2)
    assert form.data["text"] == "Mine" and form.errors["text"] and form.saved_meanwhile == [("text", "Text", "Theirs")]
    assert form.data["other"] == "Also theirs" and "other" not in form.errors
    assert (form.data["row_version"], form.data["version_signature"]) == ("2", edits.sign("2"))
