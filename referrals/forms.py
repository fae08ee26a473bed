"""Forms for cases, the risk checklist, referrals, decisions and incidents. Each keeps what the
person typed when it is refused, and none exposes a field the policy withholds from them."""

from datetime import date

from django import forms

from marac.concurrency import Edits, VersionedForm
from marac.govuk_forms import GovukDateField, IdChoiceField
from marac.models import MaracArea
from referrals.checklists import Answer, Band, Checklist
from referrals.models import CaseTransfer, Incident, Perpetrator, Referral, Victim
from referrals.selectors import looks_like_reference
from referrals.voice import FIELDS as VOICE_FIELDS
from referrals.voice import VoiceForm

# The victim's fields this form can edit; the field policy decides which of them a person gets.
EDITABLE = [
    "name",
    "date_of_birth",
    "address",
    "phone",
    "email",
    "safe_address",
    "safe_phone",
    "safe_times",
    "do_not_contact_via",
    "gender",
    "ethnic_group",
    "disabled",
    "lgbt",
    "language",
    "needs_interpreter",
]
TEXT_LIMIT = 2000
ANSWER_CHOICES = [(Answer.YES.value, "Yes"), (Answer.NO.value, "No"), (Answer.NOT_KNOWN.value, "Not known")]
QUESTIONS_PER_STEP = 6


def not_in_future(value: date | None) -> None:
    if value and value > date.today():
        raise forms.ValidationError("The date must be today or in the past")


def plausible_birth_date(value: date | None) -> None:
    not_in_future(value)
    if value and value.year < 1900:
        raise forms.ValidationError("Enter a date of birth after 1900")


def victim_edits(victim: Victim) -> Edits:
    """What the victim form's version is signed for: this victim's record, and no other."""
    return Edits(purpose="referrals.victim", key=str(victim.pk))


class VictimForm(VersionedForm, forms.ModelForm):
    """The victim's details, carrying the version they were opened at (see marac.concurrency)."""

    class Meta:
        model = Victim
        fields = EDITABLE
        widgets = {
            **{name: forms.Textarea(attrs={"rows": 3}) for name in ("address", "safe_address", "safe_times", "do_not_contact_via")},
            **{name: forms.RadioSelect for name in ("gender", "ethnic_group", "disabled", "lgbt")},
        }

    def __init__(self, *args, instance: Victim, **kwargs):
        # Initial values read through the field descriptors (which decrypt), only for this form's
        # fields; encrypted fields hand serialisers ciphertext, so model_to_dict cannot be used.
        initial = {name: getattr(instance, name) for name in self._meta.fields}
        super().__init__(*args, instance=instance, initial=initial, edits=victim_edits(instance), version=instance.row_version, **kwargs)
        if "date_of_birth" in self.fields:
            self.fields["date_of_birth"].validators.append(plausible_birth_date)


def victim_form_class(writable: list[str]) -> type[VictimForm]:
    """A form with only the fields this person may write: the rest are never decrypted into it."""
    return forms.modelform_factory(Victim, form=VictimForm, fields=[f for f in EDITABLE if f in writable])


class StartChecklistForm(forms.Form):
    """Who the checklist is with. The case is created from this; nothing is asked again later."""

    area = forms.ChoiceField(label="MARAC area", widget=forms.RadioSelect, error_messages={"required": "Choose the MARAC area"})
    name = forms.CharField(label="Victim's full name", max_length=200, error_messages={"required": "Enter the victim's name"})
    date_of_birth = GovukDateField(
        label="Date of birth", required=False, validators=[plausible_birth_date], help_text="If you know it. For example, 27 3 1990"
    )
    address = forms.CharField(label="Address", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, areas: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = areas
        if len(areas) == 1:
            self.fields["area"].initial = areas[0][0]


class ChecklistStepForm(forms.Form):
    """One step of the checklist: a few questions, each yes / no / not known with a note.
    Unanswered questions may be left for later; the draft is saved either way."""

    def __init__(self, *args, checklist: Checklist, step: int, answers: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = step_questions(checklist, step)
        for question in self.questions:
            saved = answers.get(question.id, {})
            self.fields[question.id] = forms.ChoiceField(
                label=question.text,
                help_text=question.hint,
                choices=ANSWER_CHOICES,
                required=False,
                widget=forms.RadioSelect,
                initial=saved.get("answer"),
            )
            self.fields[f"{question.id}_note"] = forms.CharField(
                label="Notes (optional)",
                required=False,
                max_length=TEXT_LIMIT,
                initial=saved.get("note", ""),
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    def answers(self) -> dict:
        return {
            q.id: {"answer": self.cleaned_data[q.id], "note": self.cleaned_data[f"{q.id}_note"]}
            for q in self.questions
            if self.cleaned_data[q.id]
        }


def step_questions(checklist: Checklist, step: int):
    start = (step - 1) * QUESTIONS_PER_STEP
    return checklist.questions[start : start + QUESTIONS_PER_STEP]


def step_count(checklist: Checklist) -> int:
    return -(-len(checklist.questions) // QUESTIONS_PER_STEP)


class JudgementForm(forms.Form):
    level = forms.ChoiceField(label="Raise the risk level to", widget=forms.RadioSelect, error_messages={"required": "Choose the level"})
    rationale = forms.CharField(
        label="Why, in your professional judgement",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Explain your judgement"},
        help_text="For example strangulation, stalking, threats to kill or honour-based abuse.",
    )

    def __init__(self, *args, above: Band, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(b.value, b.value.capitalize()) for b in Band if b.rank > above.rank]


class ReferForm(VoiceForm):
    """Consent, and the victim's voice as the referral form asks it (referrals/voice.py)."""

    field_order = ["consent", "without_consent_reason", *VOICE_FIELDS]
    consent = forms.ChoiceField(
        label="Consent",
        choices=Referral.Consent.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the victim agreed to the referral"},
    )
    without_consent_reason = forms.CharField(
        label="If without consent, why", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self):
        data = super().clean()
        if data.get("consent") == Referral.Consent.WITHOUT and not data.get("without_consent_reason", "").strip():
            self.add_error("without_consent_reason", "Say why the referral is being made without the victim's consent")
        return data


class DecisionForm(forms.Form):
    ACCEPT, DECLINE, MORE_INFO = "accept", "decline", "more_info"
    decision = forms.ChoiceField(
        label="Decision",
        widget=forms.RadioSelect,
        choices=[
            (ACCEPT, "Accept: list for the next MARAC meeting"),
            (DECLINE, "Decline"),
            (MORE_INFO, "Ask the referrer for more information"),
        ],
        error_messages={"required": "Choose a decision"},
    )
    reason = forms.CharField(
        label="Reason, or what you need to know",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when declining (it is kept and reported) or asking for more information.",
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") in (self.DECLINE, self.MORE_INFO) and not data.get("reason", "").strip():
            self.add_error("reason", "Give the reason for declining" if data["decision"] == self.DECLINE else "Say what you need to know")
        return data


class IncidentForm(forms.Form):
    occurred_on = GovukDateField(
        label="Date of the incident", validators=[not_in_future], error_messages={"required": "Enter the date of the incident"}
    )
    kind = forms.ChoiceField(
        label="What happened?", choices=Incident.Kind.choices, widget=forms.RadioSelect, error_messages={"required": "Choose what happened"}
    )
    reported_to_police = forms.BooleanField(label="It was reported to the police", required=False)
    police_callout = forms.BooleanField(label="The police were called out", required=False, help_text="A call-out counts as reported.")
    summary = forms.CharField(label="Summary", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 4}))


class PerpetratorForm(forms.Form):
    name = forms.CharField(label="Full name", max_length=200, error_messages={"required": "Enter the perpetrator's name"})
    date_of_birth = GovukDateField(label="Date of birth", required=False, validators=[plausible_birth_date])
    address = forms.CharField(label="Address", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3}))
    relationship_to_victim = forms.ChoiceField(
        label="Relationship to the victim",
        choices=Perpetrator.Relationship.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the relationship"},
    )


class HouseholdMemberForm(forms.Form):
    name = forms.CharField(label="Full name", max_length=200, error_messages={"required": "Enter their name"})
    date_of_birth = GovukDateField(label="Date of birth", required=False, validators=[plausible_birth_date])
    is_child = forms.BooleanField(label="Under 18", required=False, help_text="Only needed if you do not know their date of birth.")
    school = forms.CharField(label="School or nursery", required=False, max_length=TEXT_LIMIT)
    relationship_to_victim = forms.CharField(label="Relationship to the victim", required=False, max_length=200)
    relationship_to_perpetrator = forms.CharField(label="Relationship to the perpetrator", required=False, max_length=200)


class TransferForm(forms.Form):
    to_area = IdChoiceField(
        label="Offer the case to",
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the MARAC area"},
    )
    reason = forms.ChoiceField(
        label="Reason",
        choices=CaseTransfer.Reason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Give the reason for the transfer"},
    )

    def __init__(self, *args, current_area, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_area"].queryset = MaracArea.objects.exclude(pk=current_area.pk)


class CaseSearchForm(forms.Form):
    """Find a case by its reference, or by the victim's full name with their date of birth.
    A name alone is refused: matching on a name would list strangers who share it."""

    q = forms.CharField(
        label="Case reference or victim's full name",
        max_length=200,
        required=False,
        error_messages={"max_length": "Enter a case reference or a name of 200 characters or fewer"},
    )
    dob = GovukDateField(label="Date of birth", required=False, help_text="Needed with a name. For example, 27 3 1985.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A NUL byte is refused in words, not with Django's "Null characters are not allowed".
        self.fields["q"].error_messages["null_characters_not_allowed"] = "Enter a case reference or a name using letters and numbers"

    def clean(self):
        cleaned = super().clean()
        text, born = cleaned.get("q", ""), cleaned.get("dob")
        if self.errors:
            return cleaned
        if text and not born and not looks_like_reference(text):
            self.add_error("dob", "Enter the date of birth as well as the name")
        elif born and not text:
            self.add_error("q", "Enter the victim's full name as well as the date of birth")
        return cleaned
