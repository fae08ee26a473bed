"""What the case page shows beyond the victim's record (issue 16): the current risk level, the
referrals with their decisions and conversations, incidents and the repeat definitions each
meets, the repeat flag, the checklists, whether and why the case is closed, and a chronology.

Every typed text goes through the field policy (RedactedView) and is counted in `Reads`, which
the view hands to the access log. Coded facts that say something about the victim (what kind of
incident, whether the police came, how high the risk, why the case was closed) are shown only to
those the policy lets read the record they belong to (an incident's summary, a checklist's
answers, a closing's note), and logged as read like a field; an auditor
sees that records exist, when and by whom, never what they say.

Everything is read in a fixed number of queries whatever the case holds: one per kind of record,
each with the people and agencies it names joined in.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Model
from django.utils import timezone

from marac.models import RepeatDefinition
from marac.security.policy import WITHHELD, RedactedView, Rel, Withheld, readable_fields, writable_fields
from referrals import encompass, risk_tool_page, rules
from referrals.models import Case, CaseStatusChange, CaseTransfer, Incident, Referral, ReferralMessage, RiskAssessment, ToolAssessment
from referrals.sections import CaseEvent
from referrals.selectors import REFERRED
from referrals.voice import VoiceShown, voice_shown

DEFINITION_NAMES = {RepeatDefinition.CURRENT: "Current (SafeLives)", RepeatDefinition.NI32_2008: "NI 32 (2008)"}


class Reads:
    """The redacted views a page hands out, so it can log every field they revealed."""

    def __init__(self, relationships: set[Rel]) -> None:
        self.relationships = relationships
        self.views: list[RedactedView] = []
        self.facts: set[str] = set()  # coded facts shown under a record's policy ("incident.kind")

    def view(self, obj: Model, prefix: str) -> RedactedView:
        shown = RedactedView(obj, self.relationships, prefix)
        self.views.append(shown)
        return shown

    def may_read(self, model_label: str, field_name: str) -> bool:
        return field_name in readable_fields(model_label, self.relationships)

    def fields(self) -> set[str]:
        return self.facts.union(*(v.revealed for v in self.views))

    def referral_facts(self, referral: Referral | None = None) -> bool:
        """The coded facts a referral's own pages show of it (`_referral_facts.html`: the
        checklist's score and level, or the other risk tool and its level, the criteria), logged
        as the case page logs them. Whether this reader may see them: only under the checklist's policy."""
        if not self.may_read("referrals.riskassessment", "answers"):
            return False
        self.facts.update({assessment_fact(referral), "referral.criteria"})
        return True


def assessment_fact(referral: Referral | None) -> str:
    """What a referral's pages log as read of what it rests on: the checklist's score, or the
    level another risk tool gave (ADR 0024), so an auditor asking who saw the police's level finds it."""
    return "toolassessment.level" if referral is not None and referral.tool_assessment_id else "assessment.score"


def person_name(user: Any) -> str:
    return user.display_name if user else "the system"


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


# --- The conversation about a referral ----------------------------------------------------------


@dataclass(frozen=True)
class MessageShown:
    kind: str
    label: str
    author: str
    at: datetime | None
    text: Any  # the text as written, or Withheld


def thread_shown(referral: Referral, messages: list[ReferralMessage], reads: Reads) -> list[MessageShown]:
    """The thread, oldest first, each text through the field policy. A question asked before the
    thread existed (issue 16) lived only in the decision reason: it is shown as the first question."""
    shown = [
        MessageShown(m.kind, m.get_kind_display(), person_name(m.author), m.created_at, reads.view(m, "message.").text) for m in messages
    ]
    asked = any(m.kind == ReferralMessage.Kind.QUESTION for m in messages)
    # Only a more-information decision leaves a decided referral waiting or back in triage.
    if not asked and referral.decided_by_id and referral.status in (Referral.Status.MORE_INFO, Referral.Status.SUBMITTED):
        legacy = reads.view(referral, "referral.").decision_reason
        label = ReferralMessage.Kind.QUESTION.label
        shown.insert(0, MessageShown(ReferralMessage.Kind.QUESTION, label, person_name(referral.decided_by), referral.decided_at, legacy))
    return shown


def referral_thread(referral: Referral, reads: Reads) -> list[MessageShown]:
    """The thread of one referral, for the pages that show only it."""
    messages = list(referral.case.referral_messages.filter(referral=referral).select_related("author"))
    return thread_shown(referral, messages, reads)


# --- The case page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskShown:
    on: date
    score: Any
    band: Any
    level: Any
    raised: bool  # by professional judgement
    tool: Any = ""  # the other risk tool that gave the level (ADR 0024), when it is the latest assessment


@dataclass(frozen=True)
class ReferralShown:
    pk: int
    submitted_on: date | None
    agency: str
    referred_by: str
    status: str
    status_label: str
    criteria: Any  # criterion codes, or Withheld
    repeat_under: Any  # names of the definitions it counted as a repeat under, or Withheld
    decided_by: str
    decided_at: datetime | None
    reason: Any
    without_consent_reason: Any
    thread: list[MessageShown]
    voice: VoiceShown | None = None  # the victim's voice given with this referral (referrals/voice.py)
    first_contact_on: Any = None  # when an IDVA first reached her (referrals/first_contact.py), or Withheld


@dataclass(frozen=True)
class IncidentShown:
    occurred_on: date
    kind: Any
    police_callout: Any  # Yes or no, or Withheld: whether the police came says how bad it was
    agency: str
    summary: Any
    repeat_under: Any
    reported_to_police: Any = None  # Yes or no, or Withheld, read as the call-out is


@dataclass(frozen=True)
class ChecklistShown:
    pk: int
    on: date
    by: str
    status: str
    score: Any
    level: Any
    may_open: bool  # the summary page is for those who may write the checklist


@dataclass(frozen=True)
class ChangeShown:
    kind: str
    label: str
    reason: Any  # the coded reason, or Withheld: read as the note is ("the victim has moved away")
    note: Any
    by: str
    at: datetime


@dataclass
class CasePage:
    risk: RiskShown | None
    repeat: Any  # {"now": [definition names], "area": name}, or Withheld
    referrals: list[ReferralShown]
    incidents: list[IncidentShown]
    checklists: list[ChecklistShown]
    changes: list[ChangeShown]
    closed: ChangeShown | None
    transfers: list[CaseTransfer]
    area_definition: str
    events: list[CaseEvent] = field(default_factory=list)
    encompass: Any = None  # the children's schools and Operation Encompass (referrals/encompass.py)
    # Assessments made with other risk tools, and when a re-assessment is due (referrals/risk_tool_page.py).
    tools: list = field(default_factory=list)
    reassessment: Any = None


def _risk(assessments: list[RiskAssessment], tool_records: list[ToolAssessment], reads: Reads) -> RiskShown | None:
    """The latest assessment's level: the latest complete checklist's, or another tool's when one
    was made later (on the same day the checklist, with its answers, stands), as the case list
    works it out in SQL (selectors.with_risk_level)."""
    complete = [a for a in assessments if a.status == RiskAssessment.Status.COMPLETE]
    newest_first = sorted([*complete, *tool_records], key=_newest, reverse=True)
    if not newest_first:
        return None
    latest = newest_first[0]
    if isinstance(latest, ToolAssessment):
        return _tool_risk(latest, reads)
    if not reads.may_read("referrals.riskassessment", "answers"):
        return RiskShown(latest.assessed_on, WITHHELD, WITHHELD, WITHHELD, False)
    reads.facts.add("assessment.score")
    return RiskShown(
        latest.assessed_on, latest.score, latest.band.value.capitalize(), latest.level.value.capitalize(), bool(latest.override_band)
    )


def _checklists(assessments: list[RiskAssessment], reads: Reads) -> list[ChecklistShown]:
    readable = reads.may_read("referrals.riskassessment", "answers")
    writable = "answers" in writable_fields("referrals.riskassessment", reads.relationships)
    return [
        ChecklistShown(
            a.pk,
            a.assessed_on,
            person_name(a.assessed_by),
            a.get_status_display(),
            a.score if readable else WITHHELD,
            a.level.value.capitalize() if readable else WITHHELD,
            writable,
        )
        for a in sorted(assessments, key=lambda a: (a.assessed_on, a.pk), reverse=True)
    ]


def _repeat_names(current: bool, ni32: bool) -> list[str]:
    return [DEFINITION_NAMES[d] for d, met in ((RepeatDefinition.CURRENT, current), (RepeatDefinition.NI32_2008, ni32)) if met]


def _referrals(referrals: list[Referral], messages: list[ReferralMessage], reads: Reads) -> list[ReferralShown]:
    by_referral: dict[int, list[ReferralMessage]] = {}
    for message in messages:
        by_referral.setdefault(message.referral_id, []).append(message)
    readable = reads.may_read("referrals.riskassessment", "answers")
    shown = []
    for r in sorted(referrals, key=lambda r: (r.submitted_on or date.min, r.pk), reverse=True):
        view = reads.view(r, "referral.")
        has_reason = r.status in (Referral.Status.DECLINED, Referral.Status.WITHDRAWN)
        shown.append(
            ReferralShown(
                pk=r.pk,
                submitted_on=r.submitted_on,
                agency=r.referring_agency.name,
                referred_by=person_name(r.referred_by),
                status=r.status,
                status_label=r.get_status_display(),
                criteria=r.criteria if readable else WITHHELD,
                repeat_under=_repeat_names(r.repeat_current, r.repeat_ni32) if readable else WITHHELD,
                decided_by=person_name(r.decided_by) if r.decided_by_id else "",
                decided_at=r.decided_at if r.status != Referral.Status.SUBMITTED else None,
                reason=view.decision_reason if has_reason else None,
                without_consent_reason=view.without_consent_reason if r.consent == Referral.Consent.WITHOUT else None,
                thread=thread_shown(r, by_referral.get(r.pk, []), reads),
                voice=voice_shown(r, view),
                first_contact_on=view.first_contact_on if r.submitted_on else None,
            )
        )
    if readable and referrals:
        reads.facts.add("referral.criteria")
    return shown


def _incidents(incidents: list[Incident], referred_on: list[date], reads: Reads) -> list[IncidentShown]:
    readable = reads.may_read("referrals.incident", "summary")
    if readable and incidents:
        reads.facts.update({"incident.kind", "incident.police_callout", "incident.reported_to_police"})
    shown = []
    for i in sorted(incidents, key=lambda i: (i.occurred_on, i.pk), reverse=True):
        met = rules.definitions_met(referred_on=referred_on, incident=i.occurred_on, kind=i.kind)
        shown.append(
            IncidentShown(
                i.occurred_on,
                i.get_kind_display() if readable else WITHHELD,
                i.police_callout if readable else WITHHELD,
                i.recording_agency.name,
                reads.view(i, "incident.").summary,
                [DEFINITION_NAMES[d] for d in met] if readable else WITHHELD,
                i.reported_to_police if readable else WITHHELD,
            )
        )
    return shown


def _repeat(case: Case, referred_on: list[date], incidents: list[Incident], reads: Reads, today: date) -> Any:
    """Whether a referral made today would be a repeat, from the case's own history, under each
    definition (cross-area matches are shown to coordinators and chairs apart)."""
    area = DEFINITION_NAMES[case.area.repeat_definition]
    if not incidents:  # nothing to be a repeat of, and nothing about any incident revealed
        return {"now": [], "area": area, "area_met": False}
    if not reads.may_read("referrals.incident", "summary"):
        return WITHHELD
    last = max(referred_on, default=None)
    pairs = [(i.occurred_on, i.kind) for i in incidents]
    now = [
        DEFINITION_NAMES[d]
        for d in RepeatDefinition.values
        if rules.repeat_now(last_referral=last, incidents=pairs, today=today, definition=d)
    ]
    reads.facts.add("case.repeat")
    return {"now": now, "area": area, "area_met": area in now}


def _changes(changes: list[CaseStatusChange], reads: Reads) -> list[ChangeShown]:
    """Closings and reopenings. Why (even the coded reason: "the victim has moved away") is for
    those who may read the note; others see only that it happened, when and by whom."""
    readable = reads.may_read("referrals.casestatuschange", "note")
    if readable and changes:
        reads.facts.add("closure.reason")
    return [
        ChangeShown(
            c.kind,
            c.get_kind_display(),
            c.get_reason_display() if readable else WITHHELD,
            reads.view(c, "closure.").note,
            person_name(c.by),
            c.at,
        )
        for c in changes
    ]


def _change_line(change: ChangeShown) -> str:
    said = f"{change.label} by {change.by}"
    return said if isinstance(change.reason, Withheld) else f"{said}: {change.reason.lower()}"


def _events(
    case: Case, page: CasePage, assessments: list[RiskAssessment], referrals: list[Referral], messages: list[ReferralMessage]
) -> list[CaseEvent]:
    """What happened to the case, from its own records; other apps add theirs (sections)."""
    events = [CaseEvent(local_day(case.created_at), "Case opened", case.created_at, first_of_day=True)]
    events += [CaseEvent(a.assessed_on, f"Risk checklist started by {person_name(a.assessed_by)}") for a in assessments]
    said = {(m.referral_id, m.kind) for m in messages}
    # A question or withdrawal is its message's line; only older ones, from before the thread, are not.
    told_by_thread = {Referral.Status.MORE_INFO: ReferralMessage.Kind.QUESTION, Referral.Status.WITHDRAWN: ReferralMessage.Kind.WITHDRAWN}
    for r in referrals:
        if r.submitted_on:
            events.append(CaseEvent(r.submitted_on, f"Referred to MARAC by {r.referring_agency.name}"))
        if r.decided_at and r.status != Referral.Status.SUBMITTED and (r.pk, told_by_thread.get(r.status)) not in said:
            text = f"Referral {r.get_status_display().lower()} by {person_name(r.decided_by)}"
            events.append(CaseEvent(local_day(r.decided_at), text, r.decided_at))
    events += [CaseEvent(local_day(m.created_at), f"{m.get_kind_display()} ({person_name(m.author)})", m.created_at) for m in messages]
    events += [CaseEvent(i.occurred_on, f"Incident recorded by {i.agency}") for i in page.incidents]
    contacts = [r.first_contact_on for r in page.referrals if isinstance(r.first_contact_on, date)]
    events += [CaseEvent(on, "First contact with the victim (IDVA)") for on in contacts]
    for transfer in page.transfers:
        text = f"Transferred from {transfer.from_area.name} to {transfer.to_area.name}: {transfer.get_reason_display().lower()}"
        events.append(CaseEvent(local_day(transfer.transferred_at), text, transfer.transferred_at))
    events += [CaseEvent(local_day(c.at), _change_line(c), c.at) for c in page.changes]
    return events


def _newest(assessment: RiskAssessment | ToolAssessment) -> tuple[date, int, int]:
    return assessment.assessed_on, isinstance(assessment, RiskAssessment), assessment.pk


def _tool_risk(record: ToolAssessment, reads: Reads) -> RiskShown:
    """Another tool's level, read as its checklist counterpart is: by those who may read answers."""
    if not reads.may_read("referrals.riskassessment", "answers"):
        return RiskShown(record.assessed_on, WITHHELD, WITHHELD, WITHHELD, False, tool=WITHHELD)
    reads.facts.update({"toolassessment.tool", "toolassessment.level"})
    definition = record.definition
    level = definition.level_label(record.level) if definition else record.level
    return RiskShown(record.assessed_on, None, None, level, False, tool=definition.name if definition else record.tool)


def case_page(case: Case, reads: Reads, *, today: date) -> CasePage:
    """Everything but the victim's record and other apps' sections, through the field policy."""
    referrals = list(case.referrals.select_related("referring_agency", "referred_by", "decided_by"))
    messages = list(case.referral_messages.select_related("author"))
    incidents = list(case.incidents.select_related("recording_agency"))
    assessments = list(case.assessments.select_related("assessed_by"))
    changes = _changes(list(case.status_changes.select_related("by")), reads)
    referred_on = [r.submitted_on for r in referrals if r.status in REFERRED and r.submitted_on]
    closures = [c for c in changes if c.kind == CaseStatusChange.Kind.CLOSED]
    page = CasePage(
        risk=None,  # below, once the other tools' assessments are fetched
        repeat=_repeat(case, referred_on, incidents, reads, today),
        referrals=_referrals(referrals, messages, reads),
        incidents=_incidents(incidents, referred_on, reads),
        checklists=_checklists(assessments, reads),
        changes=changes,
        closed=closures[-1] if case.status == Case.Status.CLOSED and closures else None,
        transfers=list(
            case.transfers.filter(status=CaseTransfer.Status.ACCEPTED).select_related("from_area", "to_area").order_by("transferred_at")
        ),
        area_definition=DEFINITION_NAMES[case.area.repeat_definition],
    )
    page.events = _events(case, page, assessments, referrals, messages)
    tool_records = list(case.tool_assessments.select_related("assessing_agency", "recorded_by").annotate(referral_count=Count("referrals")))
    page.risk = _risk(assessments, tool_records, reads)
    page.tools = risk_tool_page.tool_assessments_shown(tool_records, reads)
    page.reassessment = risk_tool_page.reassessment_shown(case, assessments, tool_records, today)
    page.events += [CaseEvent(t.on, f"Assessment with another risk tool recorded ({t.agency})") for t in page.tools]
    page.encompass = encompass.children_shown(case, reads, incidents=incidents, assessments=assessments, today=today)
    return page
