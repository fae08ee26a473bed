"""What the API takes and gives, field by field (ADR 0030).

Input is strict: unknown fields are refused, a number is not a string, a string is not a
boolean, and every limit is the web form's. Error messages are fixed sentences that never echo
what was sent. Output holds references, statuses, decisions and actions' fields only, each
policy field read through the field policy (RedactedView) by the views.
"""

from datetime import date

from django.core.validators import RegexValidator
from rest_framework import serializers

from meetings.models import Action
from referrals.checklists import CURRENT, Answer, Band
from referrals.forms import TEXT_LIMIT
from referrals.models import Referral, YesNoNotKnown
from referrals.rules import Criterion

NOT_A_CHOICE = "Not one of the allowed values"
# Text that must say something: the schema says so too (a pattern), so spaces alone are refused by both.
NOT_ONLY_SPACES = RegexValidator(r"\S", "Write something here")
# Choice sets named in the schema (SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]).
ACTION_STATUSES = list(Action.Status.values)
YES_NO_NOT_KNOWN = list(YesNoNotKnown.values)


class StrictCharField(serializers.CharField):
    """A string, and only a string (DRF would turn 12 into "12")."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A string from the choices; the refusal does not repeat what was sent."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {})["invalid_choice"] = NOT_A_CHOICE
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input="")
        return super().to_internal_value(data)


class StrictDateField(serializers.DateField):
    """An ISO date (YYYY-MM-DD) as a string."""

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["iso-8601"])
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not know, at every level, instead of silently dropping them."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                # Counted, not named: a field's name is the caller's text like any value, and an
                # error repeats nothing that was sent (the schema lists the fields there are).
                raise serializers.ValidationError({"unknown_fields": [f"{len(unknown)} field(s) not in the schema"]})
        return super().to_internal_value(data)


# --- Submitting a referral -----------------------------------------------------------------


def _plausible_birth_date(value: date | None) -> None:
    if value and value > date.today():
        raise serializers.ValidationError("The date must be today or in the past")
    if value and value.year < 1900:
        raise serializers.ValidationError("Enter a date of birth after 1900")


class VictimIn(StrictSerializer):
    """Who the checklist is with, as the web's start page takes it."""

    name = StrictCharField(max_length=200, validators=[NOT_ONLY_SPACES])
    date_of_birth = StrictDateField(required=False, allow_null=True, default=None, validators=[_plausible_birth_date])
    address = StrictCharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)


class AnswerIn(StrictSerializer):
    answer = StrictChoiceField(choices=[a.value for a in Answer])
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)


# Every question of the current checklist, by its id, answered once: the web requires all of them
# before a referral, and as an object the schema itself says so (each a required property).
AnswersIn = serializers.SerializerMetaclass(
    "AnswersIn",
    (StrictSerializer,),
    {"__module__": __name__, "__doc__": "One answer per question, by question id.", **{q.id: AnswerIn() for q in CURRENT.questions}},
)


class ChecklistIn(StrictSerializer):
    """The checklist's version (the current one) and its answers."""

    version = StrictChoiceField(choices=[CURRENT.version])
    answers = AnswersIn()


class JudgementIn(StrictSerializer):
    """Professional judgement: raises the level (never lowers it), always with a rationale."""

    level = StrictChoiceField(choices=[Band.MEDIUM.value, Band.HIGH.value])
    rationale = StrictCharField(max_length=TEXT_LIMIT, validators=[NOT_ONLY_SPACES])


class VoiceIn(StrictSerializer):
    """The victim's voice, as the referral form asks it (all optional, as on the form)."""

    victim_aware = StrictChoiceField(choices=YES_NO_NOT_KNOWN, required=False, allow_blank=True, default="")
    victim_unaware_reason = StrictCharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)
    feared_people = StrictCharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)
    safe_to_talk_to = StrictCharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)
    not_safe_to_talk_to = StrictCharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)
    victim_views = StrictCharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)

    def validate(self, data):
        if data.get("victim_aware") == YesNoNotKnown.NO and not data.get("victim_unaware_reason", "").strip():
            raise serializers.ValidationError({"victim_unaware_reason": "Say why the victim does not know about the referral"})
        return data


class ReferralIn(StrictSerializer):
    """A referral from a partner system: the checklist and everything the web referral asks."""

    area = StrictCharField(max_length=12, help_text="The MARAC area's short code: one of this client's areas.")
    victim = VictimIn()
    checklist = ChecklistIn()
    professional_judgement = JudgementIn(required=False, allow_null=True, default=None)
    consent = StrictChoiceField(choices=list(Referral.Consent.values))
    without_consent_reason = StrictCharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)
    voice = VoiceIn(required=False)

    def validate(self, data):
        if data["consent"] == Referral.Consent.WITHOUT and not data.get("without_consent_reason", "").strip():
            raise serializers.ValidationError({"without_consent_reason": "Say why the referral is being made without the victim's consent"})
        return data


# --- What comes back ---------------------------------------------------------------------------

STATUSES = [s for s in Referral.Status.values if s != Referral.Status.DRAFT]


class SubmittedOut(serializers.Serializer):
    """The answer to a submission (and to its retries under the same Idempotency-Key)."""

    id = serializers.UUIDField()
    case_reference = serializers.CharField()
    area = serializers.CharField()
    status = serializers.ChoiceField(choices=[Referral.Status.SUBMITTED.value])
    submitted_on = serializers.DateField()
    criteria = serializers.ListField(child=serializers.ChoiceField(choices=list(Criterion)))
    risk_level = serializers.ChoiceField(choices=[b.value for b in Band])
    url = serializers.CharField()


class ReferralRowOut(serializers.Serializer):
    id = serializers.UUIDField()
    case_reference = serializers.CharField()
    area = serializers.CharField()
    status = serializers.ChoiceField(choices=STATUSES)
    submitted_on = serializers.DateField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)


class DecisionOut(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUSES)
    decided_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(allow_null=True, help_text="Null when the field policy withholds it from this client.")
    reason_withheld = serializers.BooleanField()


class ReferralOut(ReferralRowOut):
    criteria = serializers.ListField(child=serializers.ChoiceField(choices=list(Criterion)))
    risk_level = serializers.ChoiceField(choices=[b.value for b in Band], allow_null=True)
    decision = DecisionOut(allow_null=True)


class ReferralPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ReferralRowOut(many=True)


class ActionOut(serializers.Serializer):
    id = serializers.IntegerField()
    case_reference = serializers.CharField()
    area = serializers.CharField()
    agreed_on = serializers.DateField()
    due_on = serializers.DateField()
    description = serializers.CharField(allow_null=True, help_text="Null when the field policy withholds it.")
    owner = serializers.CharField(allow_null=True, help_text="Null when the field policy withholds it.")
    status = serializers.ChoiceField(choices=ACTION_STATUSES, allow_null=True)


class ActionPageOut(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = ActionOut(many=True)


class ActionUpdateIn(StrictSerializer):
    """A progress note, and the status it leaves the action in (as the web's update form)."""

    status = StrictChoiceField(choices=ACTION_STATUSES, required=False)
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=TEXT_LIMIT)

    def validate(self, data):
        if data.get("status") == Action.Status.DONE and not data.get("note", "").strip():
            raise serializers.ValidationError({"note": "Write a note saying what was done"})
        return data


class TokenOut(serializers.Serializer):
    access_token = serializers.CharField()
    token_type = serializers.ChoiceField(choices=["Bearer"])
    expires_in = serializers.IntegerField()
    scope = serializers.CharField()


class OAuthErrorOut(serializers.Serializer):
    error = serializers.CharField()
    error_description = serializers.CharField(required=False)


class ProblemOut(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)
