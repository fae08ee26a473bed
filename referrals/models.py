"""Cases and victims. Personal data lives only in encrypted fields under the case's data key,
with the field policy in marac/security/policy.py saying who may read and write each one.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from marac.models import Agency, MaracArea, Membership
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
    # Typed by hand, so it can say anything (and a rare language can single someone out):
    # encrypted, not a plain column. The data return counts the coded needs_interpreter instead.
    language = EncryptedTextField(max_length=60, blank=True, help_text="Language the victim prefers, if not English.")
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
    # Operation Encompass (statutory): the school's safeguarding lead is told before the next school
    # day. When is a plain column so the data return counts it in SQL; who told them is typed text.
    encompass_notified_at = models.DateTimeField(
        "school told (Operation Encompass)", null=True, blank=True, help_text="When the school's safeguarding lead was told."
    )
    encompass_notified_by = EncryptedTextField(blank=True, help_text="Who told the school's safeguarding lead, and from which agency.")
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

    class Status(models.TextChoices):
        OFFERED = "offered", "Offered"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class DeclineReason(models.TextChoices):
        NOT_IN_AREA = "not_in_area", "The victim does not live in this area"
        KNOWN_HERE = "known_here", "The victim is already a case in this area"
        OTHER = "other", "Another reason: the coordinators will talk"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transfers")
    from_area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="+")
    to_area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="+")
    # Who offered the case, and when: the case moves only once the receiving area accepts (ADR 0019).
    transferred_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    transferred_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OFFERED)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    # The agency whose team held the case when it was offered, and the one in the receiving area
    # the receiving coordinator chose to hold it (Case.referring_agency from then on). No agency
    # chosen: none had a team lead or referrer there, and the coordinator holds it (ADR 0019).
    from_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    to_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+", null=True, blank=True)

    class Meta:
        # One open offer per case: two areas cannot both be waiting to accept the same case.
        constraints = [models.UniqueConstraint(fields=["case"], condition=models.Q(status="offered"), name="one_open_transfer_offer")]
        indexes = [models.Index(fields=["to_area", "status"], name="transfer_offers_to_area")]

    def __str__(self) -> str:
        return f"Transfer of case {self.case_id} from area {self.from_area_id} to area {self.to_area_id}"


class AllocationQuerySet(models.QuerySet):
    def current(self, today: date | None = None) -> "AllocationQuerySet":
        """Allocations that give access today: not ended, and cover not past its last day. (An
        allocation starts when it is made: `starts_on` records the day, it does not defer it.)"""
        today = today or timezone.localdate()
        return self.filter(models.Q(until=None) | models.Q(until__gte=today), ended_at=None).justified()

    def justified(self) -> "AllocationQuerySet":
        """Only while the referrer membership that justified the allocation is active, still the
        worker's and still at the case's agency in its area, in SQL: an allocation must not
        outlive the job it was made for, nor come back with a later one (ADR 0019)."""
        return self.filter(
            membership__is_active=True,
            membership__role="referrer",
            membership__user_id=models.F("user_id"),
            membership__area_id=models.F("case__area_id"),
            membership__agency_id=models.F("case__referring_agency_id"),
        )


class CaseAllocation(models.Model):
    """A person on a case's team: who may read and work the case for its referring agency (ADR 0019).

    Rel.REFERRER needs a current allocation as well as a referrer membership at the case's agency
    in its area, so a case is open to the workers their team lead put on it, not to the whole
    agency. Rows are never deleted: an allocation ends (ended_at/by), and cover ends on its own
    after `until`, so who was on a case, and when, stays known."""

    class Kind(models.TextChoices):
        REFERRING = "referring", "Referring worker"
        ALLOCATED = "allocated", "Allocated worker"
        COVER = "cover", "Cover for absence"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="allocations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="case_allocations")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    allocated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField()
    until = models.DateField(null=True, blank=True, help_text="Cover only: the last day it gives access.")
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    # The referrer membership that justified it (as BreakGlassGrant.membership): the allocation
    # gives access only while that one is active and at the case's agency in its area, and ends
    # for good when it stops being so (referrals.teams.allocations_end_for_membership).
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")

    objects = AllocationQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["user", "ended_at"], name="allocation_user_current"),
            models.Index(fields=["case", "ended_at"], name="allocation_case_current"),
        ]

    def __str__(self) -> str:
        return f"User {self.user_id} on case {self.case_id} ({self.kind})"


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
    # The ask it answers (ADR 0020); none on grants made before every ask was kept.
    request = models.OneToOneField("EmergencyAccessRequest", null=True, blank=True, on_delete=models.PROTECT, related_name="grant")
    # The approver let it read the contact fields as well (Rel.BREAK_GLASS_EXTENDED).
    extended = models.BooleanField(default=False)
    # The membership it was asked under: the grant is honoured only while that one is active, so
    # it ends with the role that justified it, whatever roles the person holds elsewhere.
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"Break-glass access to case {self.case_id} for user {self.user_id}"


class EmergencyAccessRequest(models.Model):
    """Every ask for emergency access, whatever became of it (ADR 0020): opened at once in the
    person's own areas, decided by the case area's coordinator or chair elsewhere, or refused by
    the service (no such case, a relationship already, no role that may ask). Every ask counts
    towards the daily limit. Codes only: nothing typed about a case is kept here in plain."""

    class Route(models.TextChoices):
        OWN_AREA = "own_area", "In your own area: opened at once"
        APPROVAL = "approval", "In another area: the area's coordinator or chair decides"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        REFUSED = "refused", "Refused"
        WITHDRAWN = "withdrawn", "Withdrawn"
        LAPSED = "lapsed", "Not decided within a day"

    class Refusal(models.TextChoices):
        """Why the service refused an ask before anyone looked at it."""

        NO_SUCH_CASE = "no_such_case", "No open case has that reference"
        ALREADY_RELATED = "already_related", "You already have access to this case through your role"
        WRONG_ROLE = "wrong_role", "Your role may not ask for emergency access"

    class Extension(models.TextChoices):
        """Why an approver let the grant read the contact fields too (Rel.BREAK_GLASS_EXTENDED)."""

        VISIT_NOW = "visit_now", "Someone must go to where the victim lives now"
        CALL_NOW = "call_now", "Someone must phone the victim now"
        WELFARE_CHECK = "welfare_check", "The police need the address for a welfare check"

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="emergency_requests")
    # What the person typed, in a reference's shape (the form checks it): the only trace of an
    # ask for a case that does not exist.
    reference = models.CharField(max_length=30, blank=True)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Where they asked from, shown to the approver: in the case's area, the membership that makes
    # it self-service; elsewhere, their first membership that may ask. A grant lasts only while
    # this membership is active (referrals.access).
    requester_membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requester_agency = models.ForeignKey(Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    requester_area = models.ForeignKey(MaracArea, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=BreakGlassGrant.Reason.choices)
    route = models.CharField(max_length=10, choices=Route.choices)
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    refusal = models.CharField(max_length=20, choices=Refusal.choices, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    extended = models.BooleanField(default=False)
    extension_reason = models.CharField(max_length=20, choices=Extension.choices, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["requester", "requested_at"], name="emergency_by_requester"),
            models.Index(fields=["status", "requested_at"], name="emergency_by_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(extended=False) | ~models.Q(extension_reason=""), name="emergency_extension_has_a_reason"
            )
        ]

    def __str__(self) -> str:
        return f"Emergency access request {self.pk} by user {self.requester_id}"  # never the reference


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
