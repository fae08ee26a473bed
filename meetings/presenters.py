"""What meeting pages and packs show about each case: plain facts that identify nobody, and every
personal value through the field policy, with the fields revealed collected for the access log.
One builder for pages and PDFs, so they cannot differ. Templates never receive a Case, Action or
other model whose relations would let them reach around the policy (as referrals.presenters)."""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q
from django.utils import timezone

from marac.security.policy import WITHHELD, RedactedView, Rel, Withheld
from meetings.access import MeetingAccess, representative_actions, with_own_agency
from meetings.models import Action, AgendaItem, CaseMinutes, Decision, Meeting, MinutesAddendum, ResearchReturn
from referrals import alerts, voice
from referrals.access import relationships_to_case
from referrals.alerts import AlertShown
from referrals.risk_tool_page import tool_label
from referrals.rules import CRITERION_LABELS
from referrals.voice import VoiceShown

ISSUED = (Meeting.Status.MINUTES_ISSUED, Meeting.Status.CLOSED)


@dataclass(frozen=True)
class ResearchShown:
    agency: str
    agency_id: int
    returned_at: datetime
    view: RedactedView


@dataclass(frozen=True)
class ActionShown:
    pk: int
    case_id: int
    reference: str
    agency: str
    agency_id: int
    owner: str | Withheld
    due_on: date
    status: str | Withheld
    status_label: str | Withheld
    agreed_on: date
    view: RedactedView

    @property
    def overdue(self) -> bool:
        # Withheld status: whether it is done is content too, so it is never called overdue.
        return self.status in Action.INCOMPLETE and self.due_on < timezone.localdate()


@dataclass(frozen=True)
class AddendumShown:
    added_at: datetime
    added_by: str
    view: RedactedView


@dataclass(frozen=True)
class MinutesShown:
    decisions: list[str] | Withheld
    view: RedactedView
    addenda: list[AddendumShown]


@dataclass
class CaseAtMeeting:
    item_pk: int
    case_id: int
    reference: str
    section: int
    section_label: str
    criteria: list[str]
    level: str
    score: int | None
    relationships: set[Rel]
    victim: RedactedView
    perpetrators: list[RedactedView]
    children: list[RedactedView]
    research: list[ResearchShown] = field(default_factory=list)
    minutes: MinutesShown | None = None
    actions: list[ActionShown] = field(default_factory=list)
    # The victim's voice given with the referral being heard, through the policy (referrals/voice.py),
    # and recent safe-contact changes (referrals/alerts.py: no values).
    voice: VoiceShown | None = None
    voice_view: RedactedView | None = None
    alerts: list[AlertShown] = field(default_factory=list)
    # A referral resting on another risk tool (ADR 0024): "DARA (College of Policing) v1: high", no score.
    risk_tool: str = ""

    def views(self) -> list[RedactedView]:
        views = [self.victim, *self.perpetrators, *self.children, *(r.view for r in self.research), *(a.view for a in self.actions)]
        if self.voice_view is not None:
            views.append(self.voice_view)
        if self.minutes:
            views += [self.minutes.view, *(a.view for a in self.minutes.addenda)]
        return views

    def revealed(self) -> set[str]:
        return set().union(*(view.revealed for view in self.views()))


def case_at_meeting(item: AgendaItem, access: MeetingAccess) -> CaseAtMeeting:
    case, referral = item.case, item.referral
    assessment = referral.assessment if referral else None
    tool = referral.tool_assessment if referral else None
    relationships = relationships_to_case(access.viewer, case)
    voice_view = None
    if referral is not None:
        referral.case = case  # its key, already loaded with the case
        voice_view = RedactedView(referral, relationships, voice.LOG_PREFIX)
    return CaseAtMeeting(
        item_pk=item.pk,
        case_id=case.pk,
        reference=case.reference,
        section=item.section,
        section_label=item.get_section_display(),
        criteria=[CRITERION_LABELS.get(c, c) for c in referral.criteria] if referral else [],
        level=assessment.level.value if assessment else tool.level if tool else "",
        score=assessment.score if assessment else None,
        relationships=relationships,
        victim=RedactedView(case.victim, relationships),
        perpetrators=[RedactedView(p, relationships, "perpetrator.") for p in case.perpetrators.all()],
        children=[RedactedView(m, relationships, "household.") for m in case.household.all() if m.is_child],
        voice=voice.voice_shown(referral, voice_view) if voice_view is not None else None,
        voice_view=voice_view,
        risk_tool=tool_label(tool) if tool else "",
    )


def with_alerts(rows: list[CaseAtMeeting]) -> list[CaseAtMeeting]:
    """Each case's recent safe-contact changes, in one query for all the rows. In a pack they also
    make it differ from the one stored before the change, so it is rendered again (stale)."""
    by_case = alerts.recent_by_case(row.case_id for row in rows)
    for row in rows:
        row.alerts = by_case.get(row.case_id, [])
    return rows


def action_shown(action: Action, relationships: set[Rel]) -> ActionShown:
    """An action with its text, owner and status through the field policy: which agency owns it
    and when it is due identify nobody; who owns it and how far it has got are the case's content."""
    view = RedactedView(action, relationships, "action.")
    status = view.status
    return ActionShown(
        pk=action.pk,
        case_id=action.case_id,
        reference=action.case.reference,
        agency=action.agency.name,
        agency_id=action.agency_id,
        owner=view.owner,
        due_on=action.due_on,
        status=status,
        status_label=status_label(status),
        agreed_on=timezone.localtime(action.meeting.starts_at).date(),
        view=view,
    )


def status_label(status: str | Withheld) -> str | Withheld:
    return WITHHELD if isinstance(status, Withheld) else Action.Status(status).label


def decision_labels(view: RedactedView) -> list[str] | Withheld:
    """The minutes' decisions as words, or Withheld for a reader the policy does not let read them."""
    codes = view.decisions
    if isinstance(codes, Withheld):
        return codes
    labels = dict(Decision.choices)
    return [labels.get(code, code) for code in codes]


def minutes_shown(minutes: CaseMinutes, relationships: set[Rel], addenda: list[AddendumShown]) -> MinutesShown:
    view = RedactedView(minutes, relationships, "minutes.")
    return MinutesShown(decision_labels(view), view, addenda)


def with_meeting_records(
    row: CaseAtMeeting,
    access: MeetingAccess,
    *,
    research: list[ResearchReturn],
    minutes: CaseMinutes | None,
    addenda: list[MinutesAddendum],
    actions: list[Action],
) -> CaseAtMeeting:
    """Add the meeting's own records about the case, each read with the agency's own tie to it.
    Minutes and actions reach representatives only once the minutes are issued: a draft is the
    chair's until then."""
    if not (access.minutes or access.meeting.minutes_locked):
        minutes, addenda, actions = None, [], [a for a in actions if a.meeting_id != access.meeting.pk and a.meeting.minutes_locked]
    row.research = [
        ResearchShown(
            r.agency.name,
            r.agency_id,
            r.returned_at,
            RedactedView(r, with_own_agency(row.relationships, access.rep_agencies, r.agency_id), "research."),
        )
        for r in research
    ]
    if minutes is not None:
        addenda_shown = [
            AddendumShown(a.added_at, a.added_by.get_full_name() or a.added_by.username, RedactedView(a, row.relationships, "addendum."))
            for a in addenda
        ]
        row.minutes = minutes_shown(minutes, row.relationships, addenda_shown)
    row.actions = [action_shown(a, with_own_agency(row.relationships, access.rep_agencies, a.agency_id)) for a in actions]
    return row


def reads_of(rows: list[CaseAtMeeting]) -> dict[str, set[str]]:
    return {row.reference: row.revealed() for row in rows}


@dataclass(frozen=True)
class HeardAt:
    """A meeting that heard the case, as the case page shows it: it follows the case when it
    moves to another area (DESIGN 2.4)."""

    area: str
    held_on: date
    minutes: MinutesShown | None
    actions: list[ActionShown]


def case_meeting_history(case, relationships: set[Rel]) -> list[HeardAt]:
    """Every meeting's minutes and actions on this case, oldest first, through the field policy.
    Drafts only for the coordinator and chair: a draft is the chair's until it is issued."""
    issued = Q() if relationships & {Rel.COORDINATOR, Rel.CHAIR} else Q(meeting__status__in=ISSUED)
    minutes = {m.meeting_id: m for m in CaseMinutes.objects.filter(issued, case=case).select_related("case__data_key", "meeting__area")}
    addenda: dict[int, list[MinutesAddendum]] = {}
    for addendum in MinutesAddendum.objects.filter(case=case).select_related("case__data_key", "added_by"):
        addenda.setdefault(addendum.minutes_id, []).append(addendum)
    actions: dict[int, list[Action]] = {}
    meetings = {m.meeting_id: m.meeting for m in minutes.values()}
    for action in Action.objects.filter(issued, case=case).select_related("case__data_key", "agency", "meeting__area"):
        actions.setdefault(action.meeting_id, []).append(action)
        meetings[action.meeting_id] = action.meeting
    history = []
    for meeting in sorted(meetings.values(), key=lambda m: m.starts_at):
        record = minutes.get(meeting.pk)
        shown = None
        if record is not None:
            shown = minutes_shown(
                record,
                relationships,
                [
                    AddendumShown(
                        a.added_at, a.added_by.get_full_name() or a.added_by.username, RedactedView(a, relationships, "addendum.")
                    )
                    for a in addenda.get(record.pk, [])
                ],
            )
        history.append(
            HeardAt(
                meeting.area.name,
                timezone.localtime(meeting.starts_at).date(),
                shown,
                [action_shown(a, relationships) for a in actions.get(meeting.pk, [])],
            )
        )
    return history


def history_views(history: list[HeardAt]) -> list[RedactedView]:
    views = []
    for heard in history:
        if heard.minutes:
            views += [heard.minutes.view, *(a.view for a in heard.minutes.addenda)]
        views += [a.view for a in heard.actions]
    return views


def carried_over_for(access: MeetingAccess) -> list[ActionShown]:
    """Incomplete actions from earlier meetings: all of them for the coordinator and chair; for a
    representative only those on cases they are tied to, or their agency's that their tracker
    holds (representative_actions: from a meeting whose statement they accepted, or naming them),
    so the list names no other case."""
    from meetings.selectors import carried_over_actions

    tracked = set() if access.minutes else set(Action.objects.filter(representative_actions(access.viewer)).values_list("pk", flat=True))
    shown = []
    for action in carried_over_actions(access.meeting):
        tied = relationships_to_case(access.viewer, action.case)
        if access.minutes or tied or action.pk in tracked:
            shown.append(action_shown(action, with_own_agency(tied, access.rep_agencies, action.agency_id)))
    return shown


def windows_closing_for(access: MeetingAccess) -> list:
    """The cases whose repeat window closes soon, for the coordinator and chair only. The list is
    drawn from every open case in the area, heard at this meeting or not, declined referrals
    included: only the area's coordinator and chair are tied to all of those, so a
    representative, even one who accepted the statement, is shown none of it."""
    from meetings.selectors import windows_closing

    return windows_closing(access.meeting) if access.minutes else []
