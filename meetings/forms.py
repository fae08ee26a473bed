"""Forms for meetings. Each keeps what the person typed when it is refused."""

import hashlib
from datetime import datetime, time

from django import forms
from django.utils import timezone

from marac.concurrency import Edits, VersionedForm
from marac.govuk_forms import GovukDateField, IdChoiceField, IdMultipleChoiceField
from marac.models import Agency, MaracArea, Role, User
from meetings.models import Action, AgendaItem, Decision, Meeting
from referrals.models import Case

TEXT_LIMIT = 5000


class InvitationsForm(forms.Form):
    agencies = IdMultipleChoiceField(
        label="Invited agencies",
        queryset=Agency.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Invite at least one agency"},
    )


def invitations_edits(meeting: Meeting) -> Edits:
    return Edits(purpose="meetings.invitations", key=str(meeting.pk))


class InvitationsChangeForm(VersionedForm, InvitationsForm):
    """The invitations have no counter: their version is the agencies invited when the form was
    opened ("3,5,8"), which the merge after someone else's change compares with the ticks."""

    @staticmethod
    def parse_version(text: str) -> frozenset[int]:
        return frozenset(int(pk) for pk in text.split(",") if pk)

    @staticmethod
    def format_version(agency_ids) -> str:
        return ",".join(str(pk) for pk in sorted(agency_ids))


class ScheduleForm(InvitationsForm):
    field_order = ["area", "day", "starts", "venue", "online", "chair", "agencies"]
    area = IdChoiceField(
        label="MARAC area",
        queryset=MaracArea.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the MARAC area"},
    )
    day = GovukDateField(label="Date", error_messages={"required": "Enter the date of the meeting"})
    starts = forms.RegexField(
        label="Start time",
        regex=r"^([01]\d|2[0-3]):[0-5]\d$",
        max_length=5,
        help_text="For example, 09:30",
        error_messages={"required": "Enter the start time", "invalid": "Enter the start time as hours and minutes, like 09:30"},
    )
    venue = forms.CharField(label="Venue", required=False, max_length=200, help_text="Leave blank for an online meeting.")
    online = forms.BooleanField(label="Held online", required=False)
    chair = IdChoiceField(
        label="Chair",
        queryset=User.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose who chairs the meeting"},
    )

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = MaracArea.objects.filter(pk__in=[a.pk for a in areas])
        self.fields["chair"].queryset = User.objects.filter(
            memberships__area__in=areas, memberships__role=Role.CHAIR, memberships__is_active=True, is_active=True
        ).distinct()
        self.fields["chair"].label_from_instance = lambda user: user.get_full_name() or user.username

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("starts"):
            data["starts_at"] = timezone.make_aware(datetime.combine(data["day"], time.fromisoformat(data["starts"])))
            if data["starts_at"] <= timezone.now():
                self.add_error("day", "The meeting must be in the future")
        if not data.get("venue") and not data.get("online"):
            self.add_error("venue", "Enter the venue, or say the meeting is held online")
        chair, area = data.get("chair"), data.get("area")
        if chair and area and not chair.memberships.filter(area=area, role=Role.CHAIR, is_active=True).exists():
            self.add_error("chair", f"Choose someone who chairs the {area.name} MARAC")
        return data


class AddCaseForm(forms.Form):
    reference = forms.RegexField(
        label="Case reference",
        regex=r"^[A-Z0-9-]{1,30}$",
        max_length=30,
        help_text="For example, NWL-2026-0007",
        error_messages={"required": "Enter the case reference", "invalid": "Enter a case reference like NWL-2026-0007"},
    )
    because = forms.ChoiceField(
        label="Why it is being added",
        choices=AgendaItem.AddedBecause.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the case is being added"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["because"].choices = [c for c in AgendaItem.AddedBecause.choices if c[0] != AgendaItem.AddedBecause.MADE_CUTOFF]


class RemoveCaseForm(forms.Form):
    because = forms.ChoiceField(
        label="Why it is being removed",
        choices=AgendaItem.RemovedBecause.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the case is being removed"},
    )


class ConfidentialityForm(forms.Form):
    agency = IdChoiceField(
        label="You are attending for",
        queryset=Agency.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the agency you are attending for"},
    )
    accept = forms.BooleanField(
        label="I accept the confidentiality statement",
        error_messages={"required": "You must accept the confidentiality statement to see the cases"},
    )

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(pk__in=agencies)
        if len(agencies) == 1:  # most people represent one agency: nothing to choose
            self.fields["agency"].initial = next(iter(agencies))


def research_edits(meeting: Meeting, case: Case, agency: Agency) -> Edits:
    """One agency's research on one case for one meeting: a version signed for another agency's
    return, or another case's, is not this one's."""
    return Edits(purpose="meetings.research", key=f"{meeting.pk}:{case.pk}:{agency.pk}")


def minutes_edits(meeting: Meeting, case: Case) -> Edits:
    return Edits(purpose="meetings.minutes", key=f"{meeting.pk}:{case.pk}")


class ResearchForm(VersionedForm, forms.Form):
    """Carries the version it was opened at (marac.concurrency); 0 when nothing was returned yet."""

    facts = forms.CharField(
        label="What your records show (facts)",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Dates, incidents, contacts: what is recorded.",
    )
    opinion = forms.CharField(
        label="Your agency's professional opinion",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Kept apart from the facts.",
    )
    not_shared = forms.CharField(
        label="What you decided not to share, and why",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Seen only by the coordinator, the chair and your agency.",
    )


class MinutesForm(VersionedForm, forms.Form):
    risks = forms.CharField(label="Risks identified", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 4}))
    decisions = forms.MultipleChoiceField(label="Decisions", required=False, choices=Decision.choices, widget=forms.CheckboxSelectMultiple)
    decision_notes = forms.CharField(
        label="Notes on the decisions", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, sharers: list[str], **kwargs):
        """One box per agency that may have shared something, named by a digest of the agency's
        name: a name never becomes a form field name, and a box keeps its name when invitations
        change between opening the form and saving it."""
        super().__init__(*args, **kwargs)
        self.sharers = list(sharers)
        for name in self.sharers:
            self.fields[shared_field(name)] = forms.CharField(
                label=f"Shared by {name}", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
            )

    def information_shared(self) -> dict[str, str]:
        return {name: self.cleaned_data[shared_field(name)] for name in self.sharers}


def shared_field(agency_name: str) -> str:
    return "shared_" + hashlib.sha256(agency_name.encode()).hexdigest()[:16]


class ActionForm(forms.Form):
    agency = IdChoiceField(
        label="Owning agency",
        queryset=Agency.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the agency that owns the action"},
    )
    owner = forms.CharField(
        label="Owner", max_length=120, help_text="The worker who will do it.", error_messages={"required": "Enter who owns the action"}
    )
    description = forms.CharField(
        label="What will be done",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Describe the action"},
    )
    due_on = GovukDateField(label="Due by", error_messages={"required": "Enter the date the action is due"})

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(pk__in=[a.pk for a in agencies])

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError("The due date must be today or later")
        return due_on


class ActionUpdateForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=Action.Status.choices, widget=forms.RadioSelect, error_messages={"required": "Choose the action's status"}
    )
    note = forms.CharField(label="Progress note", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3}))


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Correction",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write the correction"},
    )


class RegisterForm(forms.Form):
    present = forms.MultipleChoiceField(label="Present at the meeting", required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, attendances, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].choices = [(str(a.pk), f"{a.user.get_full_name() or a.user.username}, {a.agency.name}") for a in attendances]
