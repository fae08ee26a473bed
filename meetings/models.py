"""MARAC meetings (DESIGN 2.4). What an agency or the meeting says about a case is encrypted under
that case's data key, like everything else about the case, so erasing a case erases its research,
minutes and actions too. Reasons for agenda changes are codes, never free text: these tables are
read by auditors and outlive erasure.
"""

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from marac.models import Agency, MaracArea
from marac.security.datakeys import data_key_create
from marac.security.fields import EncryptedJSONField, EncryptedModel, EncryptedTextField
from marac.security.models import DataKey
from referrals.models import Case, HistoryClientAddress, Referral, case_history


class Meeting(EncryptedModel):
    """A MARAC meeting. Where it is held can identify a refuge, so the venue (and the observers'
    names) are encrypted like a case's records, under a data key of the meeting's own: a meeting
    belongs to no one case (docs/adr/0021)."""

    # The meeting holds its own data key, as a case does (marac.security.fields.data_key_of).
    ENCRYPTION_CASE_PATH = ""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        AGENDA_ISSUED = "agenda_issued", "Agenda issued"
        IN_PROGRESS = "in_progress", "In progress"
        MINUTES_DRAFT = "minutes_draft", "Minutes in draft"
        MINUTES_ISSUED = "minutes_issued", "Minutes issued"
        CLOSED = "closed", "Closed"

    area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="meetings")
    starts_at = models.DateTimeField(db_index=True)
    data_key = models.OneToOneField(DataKey, on_delete=models.PROTECT, related_name="meeting", editable=False)
    venue = EncryptedTextField(max_length=200, blank=True, help_text="A room, or leave blank for an online meeting.")
    online = models.BooleanField(default=False)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    coordinator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    invited_agencies = models.ManyToManyField(Agency, related_name="meeting_invitations")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    agenda_issued_at = models.DateTimeField(null=True, blank=True)
    minutes_issued_at = models.DateTimeField(null=True, blank=True)
    # The register (DESIGN 2.4): who chaired on the day (a deputy, if the chair could not come)
    # and who observed. Professionals' names, never a victim's, but free text: encrypted, like the venue.
    chaired_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    observers = EncryptedTextField(blank=True, max_length=1000, help_text="Each observer's name and organisation, one a line.")
    history = HistoricalRecords(m2m_fields=[invited_agencies], bases=[HistoryClientAddress])

    class Meta:
        ordering = ["-starts_at"]
        # The reports read an area's meetings in a date range first, then their agenda items by
        # meeting (docs/adr/0028): without it PostgreSQL reads every agenda item to count a few.
        indexes = [models.Index(fields=["area", "starts_at"], name="meeting_area_starts")]

    def __str__(self) -> str:
        return f"{self.area.short_code} MARAC {self.starts_at:%d %b %Y}"

    def save(self, *args, **kwargs) -> None:
        if self.data_key_id is None:  # a new meeting: its key first, bound to its uuid
            self.data_key = data_key_create(case_uuid=self.uuid)
        super().save(*args, **kwargs)

    @property
    def agenda_issued(self) -> bool:
        return self.status != self.Status.SCHEDULED

    @property
    def minutes_locked(self) -> bool:
        return self.status in (self.Status.MINUTES_ISSUED, self.Status.CLOSED)


class AgendaItem(models.Model):
    """A case listed at a meeting. Removing it keeps the row, with who removed it and why."""

    class Section(models.IntegerChoices):
        # The order of DESIGN 2.4: children's agencies may leave once children's cases are heard.
        CHILDREN = 1, "Cases with children in the household"
        ADULTS = 2, "Adult-only cases"

    class AddedBecause(models.TextChoices):
        MADE_CUTOFF = "made_cutoff", "Accepted referral that made the cut-off"
        URGENT = "urgent", "Urgent: accepted after the cut-off"
        REVIEW = "review", "Review of a case heard before"
        TRANSFER = "transfer", "Transferred in from another MARAC"

    class RemovedBecause(models.TextChoices):
        DEFERRED = "deferred", "Deferred to the next meeting"
        WITHDRAWN = "withdrawn", "Referral withdrawn"
        HEARD_ELSEWHERE = "heard_elsewhere", "Being heard at another MARAC"
        ADDED_IN_ERROR = "added_in_error", "Added in error"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agenda_items")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="agenda_items")
    referral = models.ForeignKey(Referral, null=True, blank=True, on_delete=models.PROTECT, related_name="agenda_items")
    section = models.PositiveSmallIntegerField(choices=Section.choices)
    position = models.PositiveIntegerField()
    added_because = models.CharField(max_length=16, choices=AddedBecause.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    removed_because = models.CharField(max_length=16, choices=RemovedBecause.choices, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    removed_at = models.DateTimeField(null=True, blank=True)
    history = case_history()

    class Meta:
        ordering = ["section", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["meeting", "case"], name="a_case_once_per_agenda")]

    def __str__(self) -> str:
        return f"Case {self.case_id} on the agenda of meeting {self.meeting_id}"


class ReferralListing(models.Model):
    """The meeting that hears an accepted referral: set when an agenda lists it, cleared when it
    is deferred. It lives on the meetings side so that referrals knows nothing of meetings; until
    it is listed, the meeting that will hear it follows from the cut-offs (selectors)."""

    referral = models.OneToOneField(Referral, on_delete=models.PROTECT, related_name="listing")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="listings")
    history = case_history()

    def __str__(self) -> str:
        return f"referral {self.referral_id} at meeting {self.meeting_id}"


class Attendance(models.Model):
    """One person at one meeting: when they accepted the confidentiality statement (before any
    case content is shown to them) and whether the register marks them present."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="attendances")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="attendances")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    confidentiality_accepted_at = models.DateTimeField()
    present = models.BooleanField(default=False)
    history = HistoricalRecords(bases=[HistoryClientAddress])

    class Meta:
        ordering = ["agency__name", "user__username"]
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_attendance_per_person")]

    def __str__(self) -> str:
        return f"User {self.user_id} at meeting {self.meeting_id}"


class AgencyAttendance(models.Model):
    """The register's line for one invited agency: there, sent apologies (with or without its
    information), or not represented. Minutes must say which agencies heard the cases and which
    only sent what they hold."""

    class Status(models.TextChoices):
        PRESENT = "present", "Present"
        APOLOGIES_INFORMATION_SENT = "apologies_sent", "Apologies, information sent"
        APOLOGIES_NO_INFORMATION = "apologies", "Apologies, no information sent"
        ABSENT = "absent", "Not represented"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="agency_register")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices)
    history = HistoricalRecords(bases=[HistoryClientAddress])

    class Meta:
        ordering = ["agency__name"]
        constraints = [models.UniqueConstraint(fields=["meeting", "agency"], name="one_register_line_per_agency")]

    def __str__(self) -> str:
        return f"Agency {self.agency_id} at meeting {self.meeting_id}: {self.status}"

    @property
    def apologies(self) -> bool:
        return self.status in (self.Status.APOLOGIES_INFORMATION_SENT, self.Status.APOLOGIES_NO_INFORMATION)

    @property
    def information_sent(self) -> bool:
        return self.status == self.Status.APOLOGIES_INFORMATION_SENT


class ResearchReturn(EncryptedModel):
    """What one agency holds about one case before the meeting: fact kept apart from opinion, and
    what it decided not to share and why."""

    ENCRYPTION_CASE_PATH = "case"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="research_returns")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="research_returns")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    facts = EncryptedTextField(blank=True, help_text="What your agency's records show.")
    opinion = EncryptedTextField(blank=True, help_text="Your agency's professional view, kept apart from the facts.")
    not_shared = EncryptedTextField(blank=True, help_text="Anything you decided not to share, and why.")
    returned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    returned_at = models.DateTimeField(auto_now=True)
    history = case_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "case", "agency"], name="one_return_per_agency_and_case")]


class Decision(models.TextChoices):
    MAPPA = "mappa", "Referral to MAPPA"
    DVDS = "dvds", "Disclosure scheme (Clare's Law) application"
    CHILD_PROTECTION = "child_protection", "Child protection referral"
    SAFEGUARDING_ADULT = "safeguarding_adult", "Adult safeguarding referral"
    SANCTUARY = "sanctuary", "Sanctuary or target-hardening"
    MATAC = "matac", "Referral to MATAC (perpetrator focus)"


class CaseMinutes(EncryptedModel):
    """The meeting's record of one case. Locked once the minutes are issued: corrections are
    addenda."""

    ENCRYPTION_CASE_PATH = "case"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="minutes")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="minutes")
    information_shared = EncryptedJSONField(default=dict, help_text="{agency name: what it shared}")
    risks = EncryptedTextField(blank=True)
    decisions = models.JSONField(default=list, blank=True, help_text="Codes from Decision: counted by reports, identify nobody.")
    decision_notes = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = case_history()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "case"], name="one_minute_per_case_and_meeting")]


class MinutesAddendum(EncryptedModel):
    """A correction to issued minutes, added after them and never replacing them."""

    ENCRYPTION_CASE_PATH = "case"

    minutes = models.ForeignKey(CaseMinutes, on_delete=models.PROTECT, related_name="addenda")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    text = EncryptedTextField()
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)
    history = case_history()

    class Meta:
        ordering = ["added_at", "pk"]


class OwnerRole(models.TextChoices):
    """Named roles an action can be given to when no one person is right (the duty rota)."""

    DUTY_IDVA = "duty_idva", "Duty IDVA"
    DUTY_SOCIAL_WORKER = "duty_social_worker", "Duty social worker"
    DUTY_OFFICER = "duty_officer", "Duty officer"
    DUTY_HOUSING_OFFICER = "duty_housing", "Duty housing officer"
    SAFEGUARDING_LEAD = "safeguarding_lead", "Safeguarding lead"
    TEAM_MANAGER = "team_manager", "Team manager"


class Action(EncryptedModel):
    """A SMART action agreed at a meeting, owned by one agency. Incomplete actions carry over."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        NOT_POSSIBLE = "not_possible", "Not possible: circumstances changed"
        NOT_DONE = "not_done", "Not done"

    INCOMPLETE = (Status.OPEN, Status.NOT_DONE)

    ENCRYPTION_CASE_PATH = "case"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="actions")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="actions")
    # A person's name typed or chosen at the meeting: encrypted under the case's key like the description.
    owner = EncryptedTextField(max_length=120, help_text="The person at the agency who will do it (a worker, not the victim).")
    # Who `owner` names: one of the agency's people, or a named role. Both blank only for actions
    # brought in from before go-live, whose owner is the text recorded then.
    owner_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    owner_role = models.CharField(max_length=24, choices=OwnerRole.choices, blank=True)
    description = EncryptedTextField()
    due_on = models.DateField(db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = case_history()

    class Meta:
        ordering = ["due_on", "pk"]


class ActionUpdate(EncryptedModel):
    """A progress note on an action, with the status it left the action in."""

    ENCRYPTION_CASE_PATH = "case"

    action = models.ForeignKey(Action, on_delete=models.PROTECT, related_name="updates")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="+")
    note = EncryptedTextField(blank=True)
    status = models.CharField(max_length=12, choices=Action.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    history = case_history()

    class Meta:
        ordering = ["at", "pk"]
        # The measures' scorecard asks, for each action due, when the update that marked it done
        # was made: read as the first entry here (an index-only scan), not by sorting its updates.
        indexes = [models.Index(fields=["action", "status", "-at", "-id"], name="action_update_latest")]


class StoredPack(models.Model):
    """One meeting PDF rendered ahead of time on a worker for one recipient, kept sealed at rest
    (marac/security/documents.py) under the keyring and the data key of every case it holds, and
    served only while its fingerprint is still the one the records give (docs/adr/0017).

    Not history-tracked: a stored pack is a cache of what the records say, rebuilt when they
    change, never a record itself. What it says leaves only through a download, which is logged."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be prepared"

    class Email(models.TextChoices):
        NOT_SENT = "", "Not sent"
        SENT = "sent", "Sent"
        NO_ADDRESS = "no_address", "No email address"
        FAILED = "failed", "Could not be sent"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="stored_packs")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10)
    # Of the HTML the stored PDF was rendered from, or, while queued, of what is to be rendered.
    fingerprint = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    failure = models.CharField(max_length=300, blank=True)  # a message fit to show, never document content
    cases = models.ManyToManyField(Case, related_name="+")  # whose data keys seal it
    kek_id = models.CharField(max_length=64, blank=True)
    wrapped_key = models.BinaryField(null=True)
    sealed_pdf = models.BinaryField(null=True)
    queued_at = models.DateTimeField()
    ready_at = models.DateTimeField(null=True)
    keep_until = models.DateTimeField(db_index=True)
    email = models.CharField(max_length=12, choices=Email.choices, default=Email.NOT_SENT, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["meeting", "recipient", "kind"], name="one_stored_pack_per_recipient_and_kind")]

    def __str__(self) -> str:
        return f"Stored {self.kind} of meeting {self.meeting_id} for user {self.recipient_id}"
