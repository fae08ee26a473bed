"""Forms for meetings. Each keeps what the person typed when it is refused."""

import hashlib
from datetime import datetime, time

from django import forms
from django.utils import timezone

from marac.concurrency import Edits, VersionedForm
from marac.govuk_forms import GovukDateField, IdChoiceField, IdMultipleChoiceField
from marac.models import Agency, MaracArea, Role, User
from meetings.models import Action, AgencyAttendance, AgendaItem, Decision, Meeting, OwnerRole
from meetings.services import EMPTY_RESEARCH
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
        self.fields["chair"].label_from_instance = lambda user: user.display_name

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

    def clean(self):
        data = super().clean()
        if not self.errors and not any(data.get(name, "").strip() for name in ("facts", "opinion", "not_shared")):
            # The service refuses it too; said here, beside the first box, the person sees where.
            self.add_error("facts", EMPTY_RESEARCH)
        return data


class MinutesForm(VersionedForm, forms.Form):
    risks = forms.CharField(label="Risks identified", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 4}))
    decisions = forms.MultipleChoiceField(label="Decisions", required=False, choices=Decision.choices, widget=forms.CheckboxSelectMultiple)
    decision_notes = forms.CharField(
        label="Notes on the decisions", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, sharers: list[str], research: dict[str, str] | None = None, **kwargs):
        """One box per agency that may have shared something, named by a digest of the agency's
        name: a name never becomes a form field name, and a box keeps its name when invitations
        change between opening the form and saving it.

        `research` is what each agency's research return says that the minute-taker may read
        (the caller puts it through the field policy): offered in the agency's box when the
        minutes have nothing from it yet, and shown under it otherwise."""
        super().__init__(*args, **kwargs)
        self.sharers = list(sharers)
        research = research or {}
        for name in self.sharers:
            field = self.fields[shared_field(name)] = forms.CharField(
                label=f"Shared by {name}", required=False, max_length=TEXT_LIMIT, widget=forms.Textarea(attrs={"rows": 3})
            )
            if offered := research.get(name):
                self._offer(shared_field(name), field, name, offered)

    def _offer(self, key: str, field: forms.Field, agency: str, offered: str) -> None:
        if not self.initial.get(key):
            self.initial[key] = offered
            field.help_text = f"Filled in from {agency}'s research return. Change it to what was said at the meeting."
        else:
            field.help_text = f"{agency}'s research return said: {offered}"

    def information_shared(self) -> dict[str, str]:
        return {name: self.cleaned_data[shared_field(name)] for name in self.sharers}


def shared_field(agency_name: str) -> str:
    return "shared_" + hashlib.sha256(agency_name.encode()).hexdigest()[:16]


class ActionForm(forms.Form):
    """The owner is one of the owning agency's people in the area or a named role, from one list
    grouped by agency ("u<user id>" or "r<role code>"), so it works without JavaScript; a person
    from another agency is refused however the form was posted."""

    agency = IdChoiceField(
        label="Owning agency",
        queryset=Agency.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose the agency that owns the action"},
    )
    owner = forms.ChoiceField(
        label="Owner",
        help_text="Someone from the owning agency, or a named role if no one person is right.",
        error_messages={"required": "Choose who owns the action", "invalid_choice": "Choose who owns the action from the list"},
    )
    description = forms.CharField(
        label="What will be done",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Describe the action"},
    )
    due_on = GovukDateField(label="Due by", error_messages={"required": "Enter the date the action is due"})

    def __init__(self, *args, agencies, people: dict[int, list[User]], **kwargs):
        """`people`: each agency's possible owners (services.action_owners), by agency id."""
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = Agency.objects.filter(pk__in=[a.pk for a in agencies])
        self.people = people
        groups: list = [("", "Choose the owner")]
        for agency in sorted(agencies, key=lambda a: a.name):
            members = [(f"u{u.pk}", u.display_name) for u in people.get(agency.pk, [])]
            if members:
                groups.append((agency.name, members))
        groups.append(("Named roles", [(f"r{code}", label) for code, label in OwnerRole.choices]))
        self.fields["owner"].choices = groups

    def clean(self):
        data = super().clean()
        agency, owner = data.get("agency"), data.get("owner")
        data["owner_user"], data["owner_role"] = None, ""
        if not agency or not owner:
            return data
        if owner.startswith("r"):
            data["owner_role"] = owner[1:]
        else:
            person = next((u for u in self.people.get(agency.pk, []) if f"u{u.pk}" == owner), None)
            if person is None:
                self.add_error("owner", f"Choose someone from {agency.name}, or a named role")
            data["owner_user"] = person
        return data

    def clean_due_on(self):
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError("The due date must be today or later")
        return due_on


class ActionUpdateForm(forms.Form):
    status = forms.ChoiceField(
        label="Status", choices=Action.Status.choices, widget=forms.RadioSelect, error_messages={"required": "Choose the action's status"}
    )
    note = forms.CharField(
        label="Progress note",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed when you mark the action done: say what was done.",
    )

    def clean(self):
        data = super().clean()
        if data.get("status") == Action.Status.DONE and not data.get("note", "").strip():
            self.add_error("note", "Write a note saying what was done")
        return data


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Correction",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write the correction"},
    )


class RegisterForm(forms.Form):
    """Who chaired, each invited agency's line (present, or apologies with or without its
    information), the people present, and observers. Agencies' boxes are named by id: only
    invited agencies get one, so a crafted name for another agency is simply not read."""

    chaired_by = IdChoiceField(
        label="Chaired by",
        queryset=User.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={"required": "Choose who chaired the meeting", "invalid_choice": "Choose who chaired the meeting from the list"},
    )
    present = forms.MultipleChoiceField(label="People present", required=False, widget=forms.CheckboxSelectMultiple)
    observers = forms.CharField(
        label="Observers",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Each observer's name and organisation, one a line. Leave blank if there were none.",
    )

    def __init__(self, *args, attendances, agencies, chairs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["chaired_by"].queryset = chairs
        self.fields["chaired_by"].label_from_instance = lambda user: user.display_name
        self.fields["present"].choices = [(str(a.pk), f"{a.user.display_name}, {a.agency.name}") for a in attendances]
        self.agencies = list(agencies)
        for agency in self.agencies:
            self.fields[agency_field(agency.pk)] = forms.ChoiceField(
                label=agency.name,
                choices=AgencyAttendance.Status.choices,
                widget=forms.RadioSelect,
                error_messages={"required": f"Choose whether {agency.name} was present or sent apologies"},
            )
        self.order_fields(["chaired_by", *(agency_field(a.pk) for a in self.agencies), "present", "observers"])

    def agency_lines(self) -> dict[int, str]:
        return {agency.pk: self.cleaned_data[agency_field(agency.pk)] for agency in self.agencies}


def agency_field(agency_id: int) -> str:
    return f"agency_{agency_id}"
