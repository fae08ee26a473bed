"""The field policy: which relationships to a case may read and write each sensitive field.

One declaration, used by every surface that shows victim data (pages, forms, and later PDFs and
CSV exports): views never decide field by field. A person's relationships to a case come from
referrals.access.relationships_to_case; a field nobody in those relationships may read is shown
as "Withheld", never as blank, and never decrypted.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Model
from django.utils.html import format_html


class Rel(StrEnum):
    """How a person is related to a case (DESIGN 4.2, 4.4)."""

    REFERRER = "referrer"  # works for the agency that referred it, in its area
    COORDINATOR = "coordinator"  # coordinates the case's MARAC area
    CHAIR = "chair"  # chairs the case's MARAC area
    MEETING_REP = "meeting_rep"  # represents an agency invited to the meeting hearing it
    AUDITOR = "auditor"  # audits the area: sees that records exist and who read them, never their content
    BREAK_GLASS = "break_glass"  # time-limited emergency access, flagged for auditors
    # Emergency access an approver extended, with a coded reason, to the current address and phone.
    BREAK_GLASS_EXTENDED = "break_glass_extended"
    # Works for the agency that wrote or owns this one record (a research return, an action).
    # Not a tie to the case: it is added only for that record, never to the case's other data.
    OWN_AGENCY = "own_agency"


@dataclass(frozen=True)
class FieldRule:
    read: frozenset[Rel]
    write: frozenset[Rel]


def rule(read: set[Rel], write: set[Rel]) -> FieldRule:
    if not write <= read:  # not an assert: python -O would drop it
        raise ValueError("whoever may write a field may read it")
    return FieldRule(frozenset(read), frozenset(write))


CASE_OWNERS = {Rel.REFERRER, Rel.COORDINATOR}
MEETING = CASE_OWNERS | {Rel.CHAIR, Rel.MEETING_REP}

# Emergency access reads at most what a meeting representative who accepted the confidentiality
# statement reads: who the person is, never where she lives (ADR 0020). Only a grant its approver
# extended, with a recorded reason, reads the current address and phone; none reads safe contact
# details (tests/referrals/test_field_policy_matrix.py).
BREAK_GLASS_ANY = {Rel.BREAK_GLASS, Rel.BREAK_GLASS_EXTENDED}
IDENTITY = rule(read=MEETING | BREAK_GLASS_ANY, write=CASE_OWNERS)
CONTACT = rule(read=CASE_OWNERS | {Rel.CHAIR, Rel.BREAK_GLASS_EXTENDED}, write=CASE_OWNERS)
# Safe contact details are the most restricted: a leaked safe address can get someone killed.
SAFE_CONTACT = rule(read=CASE_OWNERS, write=CASE_OWNERS)
# Where a child goes to school is how an abuser finds them: the case owners and the chair only,
# never break-glass or meeting representatives.
SCHOOL = rule(read=CASE_OWNERS | {Rel.CHAIR}, write=CASE_OWNERS)
# Operation Encompass: that a child's school was told, and when, is what the meeting checks
# (statutory: before the next school day), so the meeting reads it; it names no school or place,
# so no more than identity, but emergency access has no use for it. Who told them names a
# professional in free text that may well name the school too: read as the school is.
ENCOMPASS_WHEN = rule(read=MEETING, write=CASE_OWNERS)
ENCOMPASS_WHO = SCHOOL

# What the checklist says, and why it was judged as it was, is for the case's meeting.
ASSESSMENT = rule(read=MEETING, write=CASE_OWNERS)
# Why a referral went ahead without consent, or was declined: the case owners and the chair.
DECISION = rule(read=CASE_OWNERS | {Rel.CHAIR}, write=CASE_OWNERS)
# Any agency with a relationship to the case may flag and tag a further incident.
INCIDENT = rule(read=MEETING, write=MEETING)

# An agency's research return: what it holds is for the meeting; what it chose not to share, and
# why, is for that agency, the coordinator and the chair, never the other agencies.
RESEARCH = rule(read=MEETING | {Rel.OWN_AGENCY}, write={Rel.OWN_AGENCY})
RESEARCH_NOT_SHARED = rule(read={Rel.COORDINATOR, Rel.CHAIR, Rel.OWN_AGENCY}, write={Rel.OWN_AGENCY})
# Minutes are written by the coordinator and chair and read by the meeting and the referrer.
MINUTES = rule(read=MEETING, write={Rel.COORDINATOR, Rel.CHAIR})
# An action is read by its owning agency as well; its progress is reported by that agency.
ACTION = rule(read=MEETING | {Rel.OWN_AGENCY}, write={Rel.COORDINATOR, Rel.CHAIR})
ACTION_PROGRESS = rule(read=MEETING | {Rel.OWN_AGENCY}, write={Rel.COORDINATOR, Rel.CHAIR, Rel.OWN_AGENCY})

# The victim's voice (issue 18, ADR 0025), row by row. Whether she knows of the referral, whom she
# fears and what she wants the meeting to know are what the meeting is for: every agency at it
# reads them (an agency that contacts her must not mention a referral she does not know of).
VOICE_FOR_MEETING = rule(read=MEETING, write=CASE_OWNERS)
# Who is NOT safe to talk to is for the meeting, never emergency access (review of ADR 0025): it is
# a contact instruction like "never contact via" (which no grant reads; the extended grant gets the
# check-with-the-coordinator warning instead), its "why" is what she disclosed about the people
# around the perpetrator and often where they live, and a plain grant is self-service in one's own
# area and reads identity only (ADR 0020).
VOICE_NOT_SAFE = rule(read=MEETING, write=CASE_OWNERS)
# Who IS safe to talk to names the people through whom she can be reached, close to contact
# details; and why she does not know of the referral can say what she fears from it. The case
# owners and the chair, as the reason for referring without consent.
VOICE_CLOSE = rule(read=CASE_OWNERS | {Rel.CHAIR}, write=CASE_OWNERS)

POLICY: dict[str, dict[str, FieldRule]] = {
    "referrals.victim": {
        "name": IDENTITY,
        "aliases": IDENTITY,
        "date_of_birth": IDENTITY,
        "alternative_dates_of_birth": IDENTITY,
        # Where she lives is for the case owners and the chair: meeting representatives match
        # their records on name and date of birth (ADR 0011).
        "address": CONTACT,
        "phone": CONTACT,
        "email": CONTACT,
        "safe_address": SAFE_CONTACT,
        "safe_phone": SAFE_CONTACT,
        "safe_times": SAFE_CONTACT,
        "do_not_contact_via": SAFE_CONTACT,
        # Special-category data, stored as plain codes so the data return can count them in SQL,
        # but shown on pages only through this policy like any other sensitive field.
        "gender": IDENTITY,
        "ethnic_group": IDENTITY,
        "disabled": IDENTITY,
        "lgbt": IDENTITY,
        "language": IDENTITY,
        "needs_interpreter": IDENTITY,
    },
    # Often the victim's own address too, so it is as restricted as hers (ADR 0011).
    "referrals.perpetrator": {"name": IDENTITY, "aliases": IDENTITY, "date_of_birth": IDENTITY, "address": CONTACT},
    "referrals.householdmember": {
        "name": IDENTITY,
        "date_of_birth": IDENTITY,
        "school": SCHOOL,
        "encompass_notified_at": ENCOMPASS_WHEN,
        "encompass_notified_by": ENCOMPASS_WHO,
        "relationship_to_victim": IDENTITY,
        "relationship_to_perpetrator": IDENTITY,
    },
    "referrals.riskassessment": {"answers": ASSESSMENT, "override_rationale": ASSESSMENT},
    # An assessment made with another risk tool (ADR 0024) is read and written as the checklist is.
    "referrals.toolassessment": {"rationale": ASSESSMENT},
    "referrals.referral": {
        "without_consent_reason": DECISION,
        "decision_reason": DECISION,
        "victim_aware": VOICE_FOR_MEETING,
        "victim_unaware_reason": VOICE_CLOSE,
        "feared_people": VOICE_FOR_MEETING,
        "safe_to_talk_to": VOICE_CLOSE,
        "not_safe_to_talk_to": VOICE_NOT_SAFE,
        "victim_views": VOICE_FOR_MEETING,
        # When an IDVA first reached her (ADR 0028): a plain date the measures count, shown on the
        # case page to the meeting; recorded by an IDVA (referrals.first_contact checks the agency's
        # kind), never by an auditor, who sees only that it was logged.
        "first_contact_on": rule(read=MEETING, write={Rel.REFERRER, Rel.MEETING_REP}),
    },
    # The conversation about a referral, and why a case was closed or reopened, read as the
    # decision reason is: by the case owners and the chair, never meeting representatives or auditors.
    "referrals.referralmessage": {"text": DECISION},
    "referrals.casestatuschange": {"note": DECISION},
    # Why a case is under a legal hold (a homicide review, a claim, a subject access request) says
    # what became of the victim: the area's coordinator and chair, who place and lift holds, only.
    "referrals.legalhold": {"reason": rule(read={Rel.COORDINATOR, Rel.CHAIR}, write={Rel.COORDINATOR, Rel.CHAIR})},
    "referrals.incident": {"summary": INCIDENT},
    "meetings.researchreturn": {"facts": RESEARCH, "opinion": RESEARCH, "not_shared": RESEARCH_NOT_SHARED},
    # The decisions are codes (the reports count them in SQL) but still the meeting's content
    # about one case: the meeting reads them, an auditor never does.
    "meetings.caseminutes": {"information_shared": MINUTES, "risks": MINUTES, "decisions": MINUTES, "decision_notes": MINUTES},
    "meetings.minutesaddendum": {"text": MINUTES},
    # Who owns an action and how far it has got say as much about the case as what it is.
    "meetings.action": {"description": ACTION, "owner": ACTION, "status": ACTION_PROGRESS},
    "meetings.actionupdate": {"note": ACTION_PROGRESS, "status": ACTION_PROGRESS},
}


def field_rules(model_label: str) -> dict[str, FieldRule]:
    return POLICY[model_label]


def readable_fields(model_label: str, relationships: set[Rel]) -> list[str]:
    return [name for name, r in field_rules(model_label).items() if r.read & relationships]


def writable_fields(model_label: str, relationships: set[Rel]) -> list[str]:
    return [name for name, r in field_rules(model_label).items() if r.write & relationships]


class Withheld:
    """Shown in place of a value the reader may not see. Renders as a tag, never as blank."""

    def __str__(self) -> str:
        return "Withheld"

    def __html__(self) -> str:
        return format_html('<strong class="govuk-tag govuk-tag--grey">{}</strong>', "Withheld")

    def __bool__(self) -> bool:
        return True  # `{% if value %}` must not treat a withheld value as empty


WITHHELD = Withheld()


class RedactedView:
    """A record as one reader may see it: readable fields decrypted, the rest Withheld.

    Only readable fields are ever decrypted. `revealed` lists the fields this view has handed
    out, for the access log, each with `log_prefix` in front ("perpetrator.name").
    """

    def __init__(self, obj: Model, relationships: set[Rel], log_prefix: str = "") -> None:
        self._obj = obj
        self._label = obj._meta.label_lower
        self._readable = set(readable_fields(self._label, relationships))
        self._log_prefix = log_prefix
        self.revealed: set[str] = set()

    def may_read(self, name: str) -> bool:
        """Whether this reader may read the field: nothing is decrypted or counted as revealed."""
        return name in self._readable

    def __getattr__(self, name: str) -> Any:  # the field's value, whatever its type, or WITHHELD
        if name not in field_rules(self._label):
            raise AttributeError(f"{name} is not a field the policy knows; add it to marac/security/policy.py")
        if name not in self._readable:
            return WITHHELD
        self.revealed.add(self._log_prefix + name)
        return getattr(self._obj, name)
