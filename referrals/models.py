"""Cases and victims. Personal data lives only in encrypted fields under the case's data key,
with the field policy in marac/security/policy.py saying who may read and write each one.
"""

from django.conf import settings
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from marac.models import Agency, MaracArea
from marac.security.fields import EncryptedDateField, EncryptedJSONField, EncryptedModel, EncryptedTextField
from marac.security.models import DataKey
from referrals.checklists import CHECKLISTS, Band


class HistoryClientAddress(models.Model):
    """Every history row of a case model records where the change came from (set in marac.apps)."""

    history_client_ip = models.CharField(max_length=45, blank=True)

    class Meta:
        abstract = True


def case_history():
    return HistoricalRecords(bases=[HistoryClientAddress])


class Case(models.Model):
    """One victim with their perpetrator(s) in one MARAC area, under one data key."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"
        SHREDDED = "shredded", "Erased"

    uuid = models.UUIDField(unique=True, editable=False)
    reference = models.CharField(max_length=20, unique=True)
    area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="cases")
    referring_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referred_cases")
    data_key = models.OneToOneField(DataKey, on_delete=models.PROTECT, related_name="case")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = case_history()

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("hear_case", "Represents an agency at the meeting hearing this case")]
        # Lists read a page of cases newest first within the areas, or the area and agency, a
        # person sees: without these PostgreSQL sorts every case in the area to show 50.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="case_newest"),
            models.Index(fields=["area", "-created_at", "-id"], name="case_area_newest"),
            models.Index(fields=["area", "referring_agency", "-created_at", "-id"], name="case_area_agency_newest"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_shredded(self) -> bool:
        return self.status == self.Status.SHREDDED


class YesNoNotKnown(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NOT_KNOWN = "not_known", "Not known"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    NON_BINARY = "non_binary", "Non-binary or other"
    NOT_KNOWN = "not_known", "Not known"


class EthnicGroup(models.TextChoices):
    """Census 2021 high-level groups; all but White count as Black, Asian or racially minoritised
    in the data return (DESIGN 2.5)."""

    WHITE = "white", "White"
    MIXED = "mixed", "Mixed or multiple ethnic groups"
    ASIAN = "asian", "Asian or Asian British"
    BLACK = "black", "Black, Black British, Caribbean or African"
    OTHER = "other", "Other ethnic group"
    NOT_KNOWN = "not_known", "Not known"


class AgeBand(models.TextChoices):
    NOT_KNOWN = "not_known", "Not known"
    UNDER_16 = "under_16", "Under 16"
    AGED_16_17 = "16_17", "16 or 17"
    ADULT = "18_plus", "18 or over"


class CaseCounter(models.Model):
    """The last case number given out per area and year, taken under a row lock so two people
    starting checklists at once get different references."""

    area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "year"], name="one_counter_per_area_year")]

    def __str__(self) -> str:
        return f"Case numbers for area {self.area_id} in {self.year}"


class Victim(EncryptedModel):
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="victim")
    # Data-return attributes: coded values, not encrypted, so reports count them in SQL. Alone
    # they identify nobody; the name, dates and addresses that would are encrypted.
    gender = models.CharField(max_length=12, choices=Gender.choices, default=Gender.NOT_KNOWN)
    ethnic_group = models.CharField(max_length=12, choices=EthnicGroup.choices, default=EthnicGroup.NOT_KNOWN)
    disabled = models.CharField(max_length=10, choices=YesNoNotKnown.choices, default=YesNoNotKnown.NOT_KNOWN)
    lgbt = models.CharField("LGBT+", max_length=10, choices=YesNoNotKnown.choices, default=YesNoNotKnown.NOT_KNOWN)
    needs_interpreter = models.BooleanField(default=False)
    language = models.CharField(max_length=60, blank=True, help_text="Language the victim prefers, if not English.")
    # Worked out from the encrypted date of birth whenever it is saved (ADR 0009), for the data return.
    age_band = models.CharField(max_length=10, choices=AgeBand.choices, default=AgeBand.NOT_KNOWN, editable=False)
    name = EncryptedTextField()
    aliases = EncryptedJSONField(default=list, help_text="Other names the victim is known by.")
    date_of_birth = EncryptedDateField(blank=True)
    alternative_dates_of_birth = EncryptedJSONField(default=list)
    address = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    email = EncryptedTextField(blank=True)
    safe_address = EncryptedTextField(blank=True, help_text="Where it is safe to write or visit.")
    safe_phone = EncryptedTextField(blank=True, help_text="A number on which it is safe to call.")
    safe_times = EncryptedTextField(blank=True, help_text="When it is safe to make contact.")
    do_not_contact_via = EncryptedTextField(blank=True, help_text="Ways never to make contact, and why.")
    # Raw ciphertext copied from the live row; see marac.apps for the signal that does it.
    history = case_history()

    def __str__(self) -> str:
        return f"Victim in {self.case_id}"  # never the name: __str__ ends up in logs and admin


class Perpetrator(EncryptedModel):
    class Relationship(models.TextChoices):
        PARTNER = "partner", "Partner"
        EX_PARTNER = "ex_partner", "Former partner"
        FAMILY = "family", "Family member"
        OTHER = "other", "Other"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="perpetrators")
    name = EncryptedTextField()
    aliases = EncryptedJSONField(default=list)
    date_of_birth = EncryptedDateField(blank=True)
    address = EncryptedTextField(blank=True)
    relationship_to_victim = models.CharField(max_length=12, choices=Relationship.choices)
    aged_17_or_under = models.BooleanField(default=False, help_text="For the data return, which must not read dates of birth.")
    history = case_history()

    def __str__(self) -> str:
        return f"Perpetrator in {self.case_id}"


class HouseholdMember(EncryptedModel):
    """Someone in the victim's household: children above all (DESIGN 2.4, 2.5)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="household")
    name = EncryptedTextField()
    date_of_birth = EncryptedDateField(blank=True)
    school = EncryptedTextField(blank=True)
    relationship_to_victim = EncryptedTextField(blank=True, help_text="For example: son, niece, lodger.")
    relationship_to_perpetrator = EncryptedTextField(blank=True)
    is_child = models.BooleanField(help_text="Under 18: children's cases come first on the agenda.")
    history = case_history()

    def __str__(self) -> str:
        return f"Household member in {self.case_id}"


class CaseTransfer(models.Model):
    """A case moved to another MARAC area, with everything recorded on it (DESIGN 2.4). The
    reason is a code, never free text: this table is shown to auditors and outlives erasure."""

    class Reason(models.TextChoices):
        VICTIM_MOVED = "victim_moved", "The victim has moved to that area"
        WRONG_AREA = "wrong_area", "It was referred to the wrong area"
        OTHER = "other", "Another reason agreed by both coordinators"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transfers")
    from_area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="+")
    to_area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="+")
    transferred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    transferred_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)

    def __str__(self) -> str:
        return f"Transfer of case {self.case_id} from area {self.from_area_id} to area {self.to_area_id}"


class BreakGlassGrant(models.Model):
    """Time-limited access to a case for someone with no relationship to it, in an emergency.
    Every grant is an access event flagged for auditors (DESIGN 4.5). The reason is a code, not
    free text, so nothing personal is written outside the case's encryption."""

    class Reason(models.TextChoices):
        EMERGENCY = "emergency", "An emergency: someone may be at immediate risk"
        OUT_OF_HOURS = "out_of_hours", "Out-of-hours response and the case owners cannot be reached"
        COVERING = "covering", "Covering for an absent colleague who works on the case"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="break_glass_grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    granted_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    # Set by the periodic job that ends grants once they expire (referrals/tasks.py), which logs
    # the end; a grant gives access only while unexpired and not ended.
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Break-glass access to case {self.case_id} for user {self.user_id}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """Direct foreign-key object permissions (faster and safer than guardian's generic ones):
    granted when a person's agency is invited to the meeting hearing the case."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class RiskAssessment(EncryptedModel):
    """A risk checklist answered with the victim, against one versioned question set.

    Answers and notes are encrypted. The score is kept in plain as well: triage and reports must
    sort and count by it in SQL, and a number of "yes" answers identifies nobody.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        COMPLETE = "complete", "Complete"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="assessments")
    checklist_version = models.CharField(max_length=30, choices=[(v, v) for v in CHECKLISTS])
    answers = EncryptedJSONField(default=dict, help_text="{question id: {'answer': 'yes|no|not_known', 'note': '...'}}")
    score = models.PositiveSmallIntegerField(default=0)
    override_band = models.CharField(max_length=10, blank=True, choices=[(b.value, b.value) for b in Band])
    override_rationale = EncryptedTextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    assessed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessed_on = models.DateField()
    history = case_history()

    class Meta:
        # A case's current risk level is its latest complete checklist's (a subquery per case
        # in the lists' risk filter), found by this index rather than by reading every checklist.
        indexes = [models.Index(fields=["case", "status", "-assessed_on", "-id"], name="assessment_case_latest")]

    @property
    def checklist(self):
        return CHECKLISTS[self.checklist_version]

    @property
    def band(self) -> Band:
        return self.checklist.band(self.score)

    @property
    def level(self) -> Band:
        """The band, raised (never lowered) by professional judgement."""
        return Band(self.override_band) if self.override_band else self.band


class Referral(EncryptedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        MORE_INFO = "more_info", "More information requested"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Consent(models.TextChoices):
        GIVEN = "given", "The victim agreed to the referral"
        WITHOUT = "without", "Shared without consent"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.PROTECT, related_name="referrals")
    criteria = models.JSONField(default=list, help_text="Codes from referrals.rules.Criterion.")
    referring_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="referrals")
    referred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    consent = models.CharField(max_length=10, choices=Consent.choices)
    without_consent_reason = EncryptedTextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    submitted_on = models.DateField(null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = EncryptedTextField(blank=True)
    # Whether it was a repeat when made, under each definition (DESIGN 2.3), so NI 32 can be
    # counted in SQL under the area's definition and compared with the other.
    repeat_current = models.BooleanField(default=False)
    repeat_ni32 = models.BooleanField(default=False)
    history = case_history()

    class Meta:
        # One referral per checklist: a repeat referral starts from a new checklist.
        constraints = [models.UniqueConstraint(fields=["assessment"], name="one_referral_per_checklist")]
        # Triage and "waiting on the referrer" read the referrals in one status, oldest first.
        indexes = [models.Index(fields=["status", "submitted_on", "id"], name="referral_status_submitted")]


class Incident(EncryptedModel):
    """A further incident recorded by any agency, reported to the police or not (DESIGN 2.3)."""

    class Kind(models.TextChoices):
        VIOLENCE = "violence", "Physical violence"
        THREATS = "threats", "Threats of violence, including to property"
        STALKING = "stalking", "A pattern of stalking or harassment"
        SEXUAL = "sexual", "Rape or sexual abuse"
        UNWANTED_CONTACT = "unwanted_contact", "Unwanted contact"
        BREACH = "breach", "Breach of bail, an injunction or an order"
        CHILD_CONTACT = "child_contact", "Dispute over child contact"
        OTHER_ABUSE = "other_abuse", "Other abuse between the victim and perpetrator"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="incidents")
    occurred_on = models.DateField(db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    police_callout = models.BooleanField(default=False, help_text="Police were called out to it.")
    recording_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="recorded_incidents")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = EncryptedTextField(blank=True)
    history = case_history()


class ReferralMessage(EncryptedModel):
    """One turn of the conversation between the coordinator and the referrer about a referral
    (issue 16): the coordinator's question, the referrer's written reply, the resubmission and a
    withdrawal. The text is encrypted under the case's key and read through the field policy like
    the decision reason; rows are only ever added, so the thread reads as it happened."""

    class Kind(models.TextChoices):
        QUESTION = "question", "The coordinator asked for more information"
        REPLY = "reply", "The referrer replied"
        RESUBMITTED = "resubmitted", "The referrer sent the referral back"
        WITHDRAWN = "withdrawn", "The referrer withdrew the referral"

    # The case as well as the referral: the encrypted text needs the case's data key at hand.
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referral_messages")
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} on referral {self.referral_id}"  # never the text


class CaseStatusChange(EncryptedModel):
    """A case closed or reopened by its coordinator, with a coded reason and an optional note
    (encrypted under the case's key: it is typed about the victim). Both are shown only to those
    the field policy lets read the note: a coded reason ("the victim has moved away") says
    something about her too, so auditors and representatives see only that and when it happened."""

    class Kind(models.TextChoices):
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"

    class Reason(models.TextChoices):
        # Closing
        RISK_REDUCED = "risk_reduced", "The actions are complete and the risk has reduced"
        NO_CONTACT = "no_contact", "No agency is in contact with the victim any more"
        MOVED_AWAY = "moved_away", "The victim has moved away and no MARAC area will take the case"
        OPENED_IN_ERROR = "opened_in_error", "The case was opened in error or duplicates another"
        # Reopening
        NEW_INCIDENT = "new_incident", "A further incident has been reported"
        NEW_REFERRAL = "new_referral", "A new referral has been made"
        CLOSED_IN_ERROR = "closed_in_error", "The case was closed in error"
        OTHER = "other", "Another reason (say what in the note)"

    CLOSE_REASONS = (Reason.RISK_REDUCED, Reason.NO_CONTACT, Reason.MOVED_AWAY, Reason.OPENED_IN_ERROR, Reason.OTHER)
    REOPEN_REASONS = (Reason.NEW_INCIDENT, Reason.NEW_REFERRAL, Reason.CLOSED_IN_ERROR, Reason.OTHER)

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="status_changes")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    note = EncryptedTextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Case {self.case_id} {self.kind}"
