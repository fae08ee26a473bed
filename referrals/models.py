"""Cases and victims. Personal data lives only in encrypted fields under the case's data key,
with the field policy in marac/security/policy.py saying who may read and write each one.
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

from marac.models import Agency, MaracArea, Membership
from marac.security.fields import EncryptedDateField, EncryptedJSONField, EncryptedModel, EncryptedTextField
from marac.security.models import DataKey
from referrals import risk_tools
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
    # What the referral rests on: a DASH checklist, or an assessment made with another risk tool
    # (police referrals arrive on DARA: never re-keyed into the DASH, ADR 0024). Exactly one.
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.PROTECT, related_name="referrals", null=True, blank=True)
    tool_assessment = models.ForeignKey("ToolAssessment", on_delete=models.PROTECT, related_name="referrals", null=True, blank=True)
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
    # First contact with the victim, recorded by an IDVA (referrals/first_contact.py, ADR 0028): a
    # plain date so the measures can aggregate it in SQL; it says when, never who she is or how.
    first_contact_on = models.DateField(null=True, blank=True)
    first_contact_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    first_contact_recorded_at = models.DateTimeField(null=True, blank=True)
    # The victim's voice, as the referral form asks it (issue 18, ADR 0025): each referral keeps
    # its own, read through the field policy. Whether she knows is a plain code (agencies must
    # know before they contact her); everything typed is encrypted under the case's key.
    victim_aware = models.CharField("Is the victim aware of the referral?", max_length=10, choices=YesNoNotKnown.choices, blank=True)
    victim_unaware_reason = EncryptedTextField(blank=True, help_text="If not, why not.")
    feared_people = EncryptedTextField(blank=True, help_text="Whom the victim is afraid of.")
    safe_to_talk_to = EncryptedTextField(blank=True, help_text="Who it is safe to talk to about her.")
    not_safe_to_talk_to = EncryptedTextField(blank=True, help_text="Who it is not safe to talk to, and why.")
    victim_views = EncryptedTextField(blank=True, help_text="What she wants the meeting to know.")
    history = case_history()

    class Meta:
        # One referral per checklist: a repeat referral starts from a new checklist.
        constraints = [
            models.UniqueConstraint(fields=["assessment"], name="one_referral_per_checklist"),
            models.UniqueConstraint(fields=["tool_assessment"], name="one_referral_per_tool_assessment"),
            models.CheckConstraint(
                condition=models.Q(assessment__isnull=False, tool_assessment__isnull=True)
                | models.Q(assessment__isnull=True, tool_assessment__isnull=False),
                name="referral_rests_on_one_assessment",
            ),
        ]
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
    # What potential escalation counts by default (SafeLives' wording; the area's escalation
    # basis). A call-out is a report, so the service sets this whenever police_callout is set.
    reported_to_police = models.BooleanField(default=False, help_text="It was reported to the police.")
    recording_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="recorded_incidents")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    summary = EncryptedTextField(blank=True)
    history = case_history()


class AreaToolCriteria(models.Model):
    """Which of another risk tool's levels meet "visible high risk" in an area (DESIGN 2.2,
    ADR 0024): an area setting, edited in the admin. Without a row the tool's top level does."""

    area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="tool_criteria")
    tool = models.CharField(max_length=30, choices=risk_tools.TOOL_CODE_CHOICES)
    high_risk_levels = models.JSONField(default=list, help_text="The tool's level codes that count as visible high risk here.")
    history = HistoricalRecords()  # who changed an area's criteria, and when, as for its other settings

    class Meta:
        constraints = [models.UniqueConstraint(fields=["area", "tool"], name="one_tool_criteria_per_area")]
        verbose_name = "referral criteria for another risk tool"
        verbose_name_plural = "referral criteria for other risk tools"

    def __str__(self) -> str:
        return f"{self.tool} in area {self.area_id}"

    def clean(self) -> None:
        found = risk_tools.latest(self.tool)
        levels = self.high_risk_levels if isinstance(self.high_risk_levels, list) else None
        if found is None:
            raise ValidationError({"tool": "Choose a risk tool"})
        if not levels or not set(levels) <= set(found.level_codes):
            raise ValidationError({"high_risk_levels": f"Give a list of this tool's levels: {', '.join(found.level_codes)}"})


class ToolAssessment(EncryptedModel):
    """A risk assessment made with another tool (the police DASH, DARA, a DASH variant), recorded
    as that tool gave it, never re-keyed into the DASH (ADR 0024). Tool, version and level are
    codes; the rationale is encrypted. `high_risk_levels` keeps the levels the area counted as
    visible high risk when it was recorded, so a later change of setting does not rewrite it."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="tool_assessments")
    tool = models.CharField(max_length=30, choices=risk_tools.TOOL_CODE_CHOICES)
    tool_version = models.CharField(max_length=10)
    level = models.CharField(max_length=20, choices=risk_tools.LEVEL_CHOICES)
    assessed_on = models.DateField()
    assessing_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    rationale = EncryptedTextField()
    high_risk_levels = models.JSONField(default=list, help_text="The area's criteria when it was recorded (level codes).")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = case_history()

    class Meta:
        indexes = [models.Index(fields=["case", "-assessed_on", "-id"], name="tool_assessment_case_latest")]

    def __str__(self) -> str:
        return f"{self.tool} assessment on case {self.case_id}"

    @property
    def definition(self) -> risk_tools.RiskTool | None:
        return risk_tools.tool(self.tool, self.tool_version)

    @property
    def meets_high_risk(self) -> bool:
        return self.level in self.high_risk_levels


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


class LegalHold(EncryptedModel):
    """A legal hold on a case (issue 18, DESIGN 2.6): while one is in force the case is never due
    for erasure, whatever the area's retention period says. Placed and lifted by the area's
    coordinator or chair (referrals/retention.py). Why it was placed is typed, so encrypted under
    the case's key and read through the field policy; the kind and the lifting reason are codes.
    A domestic homicide review says the victim has died: the kind is shown to the coordinator and
    chair only, never in the chronology everyone with the case sees."""

    class Kind(models.TextChoices):
        HOMICIDE_REVIEW = "homicide_review", "Domestic homicide review"
        LITIGATION = "litigation", "Litigation"
        SUBJECT_ACCESS = "subject_access", "Subject access request"

    class LiftReason(models.TextChoices):
        CONCLUDED = "concluded", "The review, litigation or request has concluded"
        PLACED_IN_ERROR = "placed_in_error", "The hold was placed in error"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="legal_holds")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = EncryptedTextField(help_text="Why the hold is placed: the review, claim or request it is for.")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.CharField(max_length=20, choices=LiftReason.choices, blank=True)

    class Meta:
        ordering = ["placed_at", "pk"]
        # The due-for-erasure query asks, per case, whether a hold is in force.
        indexes = [models.Index(fields=["case", "lifted_at"], name="legal_hold_case_in_force")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lifted_at=None, lift_reason="") | (~models.Q(lifted_at=None) & ~models.Q(lift_reason="")),
                name="legal_hold_lifted_with_a_reason",
            )
        ]

    def __str__(self) -> str:
        return f"Legal hold {self.pk} on case {self.case_id}"  # never the reason


class ErasureRequest(models.Model):
    """One coordinator's ask to erase a case due for erasure, and what became of it: confirmed by
    a different coordinator or chair of the case's area (the case is shredded in the same
    transaction), withdrawn, or closed because the case was no longer due when someone came to
    confirm it (a hold placed, the case reopened or transferred since). Codes only: this table is
    shown on the retention page and outlives the erasure it records."""

    class Reason(models.TextChoices):
        RETENTION_ENDED = "retention_ended", "The area's retention period has passed since the case closed"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a second person"
        CONFIRMED = "confirmed", "Confirmed: the case is erased"
        WITHDRAWN = "withdrawn", "Withdrawn"
        LAPSED = "lapsed", "Closed: the case was no longer due for erasure"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="erasure_requests")
    # The area the case was in when asked: a case transferred since is not confirmed by the new area.
    area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=20, choices=Reason.choices, default=Reason.RETENTION_ENDED)
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "pk"]
        # One ask waiting per case: a double submit, or two coordinators asking at once, makes one.
        constraints = [models.UniqueConstraint(fields=["case"], condition=models.Q(status="pending"), name="one_pending_erasure_per_case")]
        indexes = [models.Index(fields=["area", "status"], name="erasure_request_area_status")]

    def __str__(self) -> str:
        return f"Erasure request {self.pk} for case {self.case_id}"


class CaseAlert(models.Model):
    """Something everyone related to a case must see before they contact the victim (issue 18):
    so far, that a safe-contact detail changed. Codes and ids only, never the new value, so it
    can be shown and notified to people the field policy does not let read that value (ADR 0025).
    Shown on the case page until each person acknowledges it, and for SHOWN_FOR_DAYS at most."""

    class What(models.TextChoices):
        SAFE_ADDRESS = "safe_address", "The safe address"
        SAFE_PHONE = "safe_phone", "The safe phone number"
        SAFE_TIMES = "safe_times", "The safe times to make contact"
        DO_NOT_CONTACT_VIA = "do_not_contact_via", "The ways never to make contact"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="alerts")
    what = models.CharField(max_length=20, choices=What.choices)
    raised_at = models.DateTimeField(default=timezone.now, db_index=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["case", "-raised_at"], name="casealert_case_newest")]

    def __str__(self) -> str:
        return f"Alert {self.what} on case {self.case_id}"  # never a value


class CaseAlertSeen(models.Model):
    """One person acknowledged one alert: it is no longer shown to them."""

    alert = models.ForeignKey(CaseAlert, on_delete=models.CASCADE, related_name="seen_by")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["alert", "user"], name="one_acknowledgement_per_person")]

    def __str__(self) -> str:
        return f"Alert {self.alert_id} seen by user {self.user_id}"
