"""The victim's voice (issue 18 item 3, ADR 0025): what the referral form asks of her, kept with
each referral. Whether she knows about the referral (and if not, why not), whom she fears, who is
and is not safe to talk to, and what she wants the meeting to know; consent is the referral's own
field. Encrypted under the case's key and read only through the field policy, whose rows for
these fields (marac/security/policy.py) say who reads what.

Entered on the referral form, changed while the referral is a draft or waits for more
information, and shown on the case page, in the meeting room and in the meeting pack.
"""

import json
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction

import audit
from marac.keyed import keyed_digest, keyed_digest_matches
from marac.models import User
from marac.security.policy import WITHHELD, RedactedView, Withheld
from referrals import signals
from referrals.models import Case, Referral, YesNoNotKnown

TEXT_FIELDS = ("victim_unaware_reason", "feared_people", "safe_to_talk_to", "not_safe_to_talk_to", "victim_views")
FIELDS = ("victim_aware", *TEXT_FIELDS)
EDITABLE_WHILE = (Referral.Status.DRAFT, Referral.Status.MORE_INFO)
TEXT_LIMIT = 2000
UNAWARE_REASON_NEEDED = "Say why the victim does not know about the referral"
CHANGED_MEANWHILE = (
    "Someone else changed the victim's voice while you were editing, so nothing was saved. "
    "Your answers are still below: check them against the case page, then save again."
)
LOG_PREFIX = "referral."  # as every page logs a referral's fields
OPENED_SALT = "referrals.voice.opened"


def voice_clean(voice: dict) -> dict:
    """The voice as stored: every field present, text trimmed; refused if she does not know of the
    referral and nobody said why (the meeting must know why before anyone contacts her)."""
    cleaned = {name: str(voice.get(name) or "").strip() for name in FIELDS}
    if cleaned["victim_aware"] not in ("", *YesNoNotKnown.values):
        raise ValidationError("Say whether the victim knows about the referral")
    if any(len(cleaned[name]) > TEXT_LIMIT for name in TEXT_FIELDS):
        raise ValidationError(f"Each answer must be {TEXT_LIMIT} characters or fewer")
    if cleaned["victim_aware"] == YesNoNotKnown.NO and not cleaned["victim_unaware_reason"]:
        raise ValidationError(UNAWARE_REASON_NEEDED)
    if cleaned["victim_aware"] != YesNoNotKnown.NO:
        cleaned["victim_unaware_reason"] = ""  # a reason for something that is not so is not kept
    return cleaned


class VoiceChangedMeanwhile(ValidationError):
    """Someone else saved the voice after this person opened the form: nothing was saved."""


def voice_opened(referral: Referral) -> str:
    """What the edit form carries of the voice it was opened at: a keyed digest (never the values,
    nor a plain hash of them that a guess could be checked against). Referral has no row_version
    (adding one needs a migration), so this stands in for it: a form opened before a colleague's
    save cannot silently put back what they changed (a name added to who is not safe to talk to)."""
    return keyed_digest(OPENED_SALT, _opened_values(referral))


def _opened_values(referral: Referral) -> str:
    return json.dumps([referral.pk, *(getattr(referral, name) or "" for name in FIELDS)])


@transaction.atomic
def referral_voice_update(*, referral: Referral, voice: dict, by: User, opened: str | None = None, request=None) -> Referral:
    """Change the victim's voice on a referral still with its referrer (a draft, or one waiting for
    more information): once the coordinator is deciding on it, it is what was referred. `opened`
    (voice_opened when the form was shown): refused with VoiceChangedMeanwhile if it changed since."""
    Case.objects.select_for_update().get(pk=referral.case_id)  # no transfer or erasure in flight
    referral = Referral.objects.select_for_update().select_related("case__data_key").get(pk=referral.pk)
    if referral.status not in EDITABLE_WHILE or referral.case.is_shredded:
        raise ValidationError("The victim's voice can only be changed while the referral is with its referrer")
    # Matched under an earlier secret key too: a form opened just before a rotation still saves.
    if opened is not None and not keyed_digest_matches(OPENED_SALT, _opened_values(referral), opened):
        raise VoiceChangedMeanwhile(CHANGED_MEANWHILE)
    cleaned = voice_clean(voice)
    changed = [name for name in FIELDS if getattr(referral, name) != cleaned[name]]
    for name in changed:
        setattr(referral, name, cleaned[name])
    referral.save()
    audit.record(
        event="victim_voice_updated", user=by, request=request, case_reference=referral.case.reference, fields=changed, purpose="referral"
    )
    signals.case_changed.send(sender=Case, case_id=referral.case_id)
    return referral


class VoiceForm(forms.Form):
    """The victim's voice, as the referral form asks it. Used on its own (to change it) and mixed
    into the referral form (referrals.forms.ReferForm)."""

    # Not required: the referral journey (and its browser test) must still go through without it,
    # as on the paper form; "Not recorded" shows where it was left (ADR 0025).
    victim_aware = forms.ChoiceField(
        label="Does the victim know about this referral?",
        choices=YesNoNotKnown.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    victim_unaware_reason = forms.CharField(
        label="If not, why not",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    feared_people = forms.CharField(
        label="Whom is she afraid of?",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The people she fears, not only the perpetrator.",
    )
    safe_to_talk_to = forms.CharField(
        label="Who is safe to talk to about her?",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Only the case's workers, the coordinator and the chair will see this.",
    )
    not_safe_to_talk_to = forms.CharField(
        label="Who is not safe to talk to about her, and why?",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Every agency at the meeting will see this, so that nobody tells them anything.",
    )
    victim_views = forms.CharField(
        label="What does she want the meeting to know?",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="In her own words, if you can.",
    )

    def clean(self):
        data = super().clean() or {}
        if data.get("victim_aware") == YesNoNotKnown.NO and not data.get("victim_unaware_reason", "").strip():
            self.add_error("victim_unaware_reason", UNAWARE_REASON_NEEDED)
        return data

    def voice(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in FIELDS}


class VoiceEditForm(VoiceForm):
    """The voice on its own page, carrying what it was opened at (voice_opened)."""

    opened = forms.CharField(widget=forms.HiddenInput, max_length=64, error_messages={"required": CHANGED_MEANWHILE})


def voice_initial(referral: Referral) -> dict:
    """The form's starting values, decrypted only for someone who may write them (the view checks)."""
    return {name: getattr(referral, name) for name in FIELDS}


class VoiceShown:
    """The voice as one reader may see it, every value read through `view` (a RedactedView of the
    referral with LOG_PREFIX, whose `revealed` the page logs) only when a template asks for it: a
    pack leaves out who is safe to talk to (like safe contact details, no PDF prints it: ADR
    0011, 0025), so it is neither decrypted nor logged there."""

    def __init__(self, referral: Referral, view: RedactedView) -> None:
        self._referral, self._view = referral, view

    @property
    def consent(self) -> Any:
        """Whether she agreed, to whoever may read whether she knows of it, logged with it."""
        if not self._view.may_read("victim_aware"):
            return WITHHELD
        self._view.revealed.add(f"{LOG_PREFIX}consent")
        return self._referral.get_consent_display()

    @property
    def aware(self) -> Any:
        """Yes / No / Not known, "" where it was not asked, or Withheld."""
        aware = self._view.victim_aware
        return aware if isinstance(aware, Withheld) or not aware else YesNoNotKnown(aware).label

    @property
    def unaware_reason(self) -> Any:
        """Why she does not know, Withheld, or None when she knows (nothing to show)."""
        if not self._view.may_read("victim_aware"):
            return WITHHELD  # why not is read by fewer than whether she knows
        return self._view.victim_unaware_reason if self._view.victim_aware == YesNoNotKnown.NO else None

    @property
    def feared_people(self) -> Any:
        return self._view.feared_people

    @property
    def safe_to_talk_to(self) -> Any:
        return self._view.safe_to_talk_to

    @property
    def not_safe_to_talk_to(self) -> Any:
        return self._view.not_safe_to_talk_to

    @property
    def views(self) -> Any:
        return self._view.victim_views


def voice_shown(referral: Referral, view: RedactedView) -> VoiceShown:
    return VoiceShown(referral, view)
