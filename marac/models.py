"""Organisations and roles: who a user is in the MARAC partnership decides what they may see.

A user holds one or more memberships, each a role at an agency within a MARAC area. Access to
cases is granted through these relationships (DESIGN 4.4), never through global permissions.
"""

from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

# Second factors with their secrets sealed (ADR 0022); importing them here registers them.
from marac.second_factor import AuthenticatorApp as AuthenticatorApp  # noqa: E402, I001
from marac.second_factor import BackupCode as BackupCode  # noqa: E402
from marac.second_factor import BackupCodes as BackupCodes  # noqa: E402

# The security core's tables belong to this app; importing them here registers them.
from marac.security.models import BlindIndexEntry as BlindIndexEntry
from marac.security.models import DataKey as DataKey


class User(AbstractUser):
    """A person who signs in. Their roles come from memberships, not from Django groups."""

    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    def active_memberships(self):
        return self.memberships.filter(is_active=True).select_related("agency", "area")

    @property
    def display_name(self) -> str:
        """How pages name the person: their full name, or their username if none is set."""
        return self.get_full_name() or self.username


def service_accounts(prefix: str = "") -> models.Q:
    """The users that are partner systems' service accounts, not people (api.models.PartnerClient,
    ADR 0030): they own no action and are told nothing. Named by the relation, so nothing here or
    in meetings imports api. `prefix` reaches the user from another model ("user__")."""
    return models.Q(**{f"{prefix}partner_client__isnull": False})


class RepeatDefinition(models.TextChoices):
    CURRENT = "current", "Current (SafeLives): any further abuse between the same people"
    NI32_2008 = "ni32_2008", "NI 32 (2008): violence, threats, stalking or harassment, sexual abuse"


class EscalationBasis(models.TextChoices):
    """What potential escalation counts (DESIGN 2.2). SafeLives words it as incidents reported to
    the police; some areas count police call-outs instead."""

    INCIDENTS_REPORTED = "incidents_reported", "Incidents reported to the police"
    POLICE_CALLOUTS = "police_callouts", "Police call-outs"


class Nation(models.TextChoices):
    """Bank holidays differ between the UK's nations (codes as ISO 3166-2:GB)."""

    ENGLAND = "ENG", "England"
    WALES = "WLS", "Wales"
    SCOTLAND = "SCT", "Scotland"
    NORTHERN_IRELAND = "NIR", "Northern Ireland"


class MaracArea(models.Model):
    """One MARAC: the area a conference covers and the rules it has chosen."""

    name = models.CharField(max_length=120, unique=True)
    short_code = models.CharField(
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9-]+$", "Use capital letters, digits and hyphens.")],
    )
    high_risk_threshold = models.PositiveSmallIntegerField(
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="Risk checklist score at or above which a case is visible high risk.",
    )
    escalation_callouts = models.PositiveSmallIntegerField(
        "escalation count",
        default=3,
        validators=[MinValueValidator(1)],
        help_text="How many in 12 months (of what the escalation basis counts) make a case potential escalation.",
    )
    escalation_basis = models.CharField(
        max_length=20,
        choices=EscalationBasis.choices,
        default=EscalationBasis.INCIDENTS_REPORTED,
        help_text="What potential escalation counts: SafeLives words it as incidents reported to the police.",
    )
    reassessment_weeks = models.PositiveSmallIntegerField(
        default=8,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text="Weeks after a risk assessment when an open case is due a re-assessment.",
    )
    retention_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1200)],
        help_text="Months after a case closes before it is due for erasure. No national period exists: "
        "until the area sets one, nothing is due and its coordinator is told it is missing.",
    )
    referral_cutoff_working_days = models.PositiveSmallIntegerField(
        default=8,
        validators=[MaxValueValidator(30)],
        help_text="Working days before a meeting after which new referrals go to the next one.",
    )
    nation = models.CharField(
        max_length=3,
        choices=Nation.choices,
        default=Nation.ENGLAND,
        help_text="Whose bank holidays are not working days when counting the cut-off.",
    )
    repeat_definition = models.CharField(max_length=12, choices=RepeatDefinition.choices, default=RepeatDefinition.CURRENT)
    adult_female_population = models.PositiveIntegerField(
        null=True, blank=True, help_text="Women aged 16 and over, for cases per 10,000 in the data return."
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = "MARAC area"
        # A nation the holidays package does not know would fail every cut-off, so every meeting page.
        constraints = [models.CheckConstraint(condition=models.Q(nation__in=Nation.values), name="area_nation_known")]

    def __str__(self) -> str:
        return self.name


class AgencyKind(models.TextChoices):
    POLICE = "police", "Police"
    IDVA = "idva", "IDVA or outreach service"
    CHILDRENS_SOCIAL_CARE = "childrens_social_care", "Children's social care"
    ADULT_SOCIAL_CARE = "adult_social_care", "Adult social care"
    HEALTH = "health", "Health"
    HOUSING = "housing", "Housing"
    PROBATION = "probation", "Probation"
    EDUCATION = "education", "Education"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"
    OTHER = "other", "Other"


class Agency(models.Model):
    """An organisation that refers to or attends MARACs. It may serve several areas."""

    name = models.CharField(max_length=160, unique=True)
    kind = models.CharField(max_length=24, choices=AgencyKind.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    REFERRER = "referrer", "Referrer"
    COORDINATOR = "coordinator", "MARAC coordinator"
    CHAIR = "chair", "MARAC chair"
    AGENCY_REP = "agency_rep", "Agency representative"
    TEAM_LEAD = "team_lead", "Team lead"  # allocates their agency's cases to its workers (issue 17)
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"


class Membership(models.Model):
    """A user's role at an agency in a MARAC area. Deactivating it ends the user's sessions."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    area = models.ForeignKey(MaracArea, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["area__name", "agency__name", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "agency", "area", "role"], name="one_membership_per_role"),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()}, {self.agency} ({self.area.short_code})"


class NoticeKind(models.TextChoices):
    """What a notification can be about. Each kind has one fixed sentence in the app and one
    email template (marac/notices.py); the events that raise them live with the data they
    concern (referrals, meetings)."""

    MORE_INFO = "more_info", "The coordinator asks for more information about your referral"
    REFERRAL_DECIDED = "referral_decided", "Your referral is accepted or declined"
    AGENDA_ISSUED = "agenda_issued", "A meeting's agenda is issued"
    PACK_READY = "pack_ready", "Your meeting pack is ready"
    RESEARCH_DUE = "research_due", "Research for a meeting is due"
    ACTION_ASSIGNED = "action_assigned", "An action is given to your agency"
    ACTION_DUE = "action_due", "An action is due in 3 days"
    ACTION_OVERDUE = "action_overdue", "An action is overdue"
    MINUTES_ISSUED = "minutes_issued", "A meeting's minutes are issued"
    EMERGENCY_REQUESTED = "emergency_requested", "Someone asks for emergency access to a case in your area"
    EMERGENCY_DECIDED = "emergency_decided", "Your request for emergency access is decided"
    EMERGENCY_USED = "emergency_used", "Emergency access to a case is in use"
    TRANSFER_REQUESTED = "transfer_requested", "A case is offered to your area"
    TRANSFER_DECIDED = "transfer_decided", "A case you offered to another area is accepted or declined"
    CASE_ALLOCATED = "case_allocated", "A case is allocated to you"
    SAFE_CONTACT_CHANGED = "safe_contact_changed", "The safe contact details on a case you work on changed"
    ERASURE_TO_CONFIRM = "erasure_to_confirm", "A case's erasure waits for a second person to confirm it"


class Notification(models.Model):
    """Something that needs one person's attention, made once per person, kind and subject: the
    unique constraint is what makes an event or a reminder job that runs twice, or two workers
    racing, tell nobody twice.

    Holds no victim data and no case reference: the subject key is ids only ("meeting:12"), and
    the page shows a fixed sentence per kind and a link, so a list of notifications needs no
    field policy and outlives any case's erasure without saying anything about it."""

    class Email(models.TextChoices):
        PENDING = "", "Not sent yet"
        SENT = "sent", "Sent"
        OPTED_OUT = "opted_out", "Not sent: the person turned this email off"
        NO_ADDRESS = "no_address", "Not sent: no email address"
        FAILED = "failed", "Could not be sent"
        OWN_TASK = "own_task", "Sent by its own task (meeting packs)"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    subject_key = models.CharField(max_length=80, help_text="What it is about, as ids only: meeting:12, action:40:overdue.")
    url = models.CharField(max_length=200, help_text="Where the work is: a path in this service, followed through its access checks.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email = models.CharField(max_length=12, choices=Email.choices, default=Email.PENDING, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "kind", "subject_key"], name="one_notification_per_subject")]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="notification_list"),
            models.Index(fields=["user", "read_at"], name="notification_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id} ({self.subject_key})"


class EmailOptOut(models.Model):
    """A person who does not want emails of one kind. They still get the notification in the app:
    only the email is turned off."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="email_opt_outs")
    kind = models.CharField(max_length=20, choices=NoticeKind.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_opt_out_per_kind")]

    def __str__(self) -> str:
        return f"User {self.user_id} gets no {self.kind} email"
