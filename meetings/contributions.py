"""What meetings adds to referrals' pages and access, registered from MeetingsConfig.ready():
referrals knows nothing of meetings (DESIGN 3), so the case page asks for its sections."""

from datetime import date

from django.utils import timezone

from marac.security.policy import Rel
from marac.viewer import Viewer
from meetings import selectors, stored_packs
from meetings.access import hearing_case_ids, meetings_for
from meetings.models import Action, AgendaItem, Attendance, Meeting
from meetings.presenters import action_shown, case_meeting_history, history_views
from meetings.tasks import packs_changed
from referrals import access, alerts, sections, signals
from referrals.access import ReferrerScope
from referrals.models import Case, Referral


def register() -> None:
    access.register_case_grant(Rel.MEETING_REP, hearing_case_ids)
    sections.add_to_case_page(case_meetings)
    sections.add_to_my_referrals(agency_actions)
    sections.add_hearing_dates(selectors.hearing_dates)
    sections.add_hearings(last_hearings)
    sections.add_meeting_filter(sections.MeetingFilter(choices=meeting_choices, case_ids=cases_listed_at))
    signals.case_changed.connect(refresh_packs_showing_case, dispatch_uid="meetings.case_changed")
    signals.case_erased.connect(forget_erased_case, dispatch_uid="meetings.case_erased")
    alerts.register_people_told(representatives_about_to_hear)


def representatives_about_to_hear(case: Case) -> list[int]:
    """Who is told of a safe-contact change besides the case's own people (referrals/alerts.py):
    representatives who accepted the statement of a meeting whose agenda lists the case and which
    has not finished hearing it (its agenda issued, or under way)."""
    return list(
        Attendance.objects.filter(
            meeting__agenda_items__case=case,
            meeting__agenda_items__removed_at=None,
            meeting__status__in=(Meeting.Status.AGENDA_ISSUED, Meeting.Status.IN_PROGRESS),
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def case_meetings(viewer: Viewer, case: Case, relationships: set[Rel]) -> sections.Section:
    """The meetings that heard the case, with their issued minutes and actions, through the policy;
    the next meeting for the case page's summary, and the case's agenda entries for its chronology."""
    heard = case_meeting_history(case, relationships)
    items = list(AgendaItem.objects.filter(case=case).select_related("meeting__area").order_by("meeting__starts_at", "pk"))
    return sections.Section(
        "meetings/_case_meetings.html",
        {"heard": heard},
        [(case.reference, v) for v in history_views(heard)],
        summary=[("Next MARAC meeting", _next_meeting(case, items))],
        events=_agenda_events(items),
    )


def _next_meeting(case: Case, items: list[AgendaItem]) -> str:
    """The next meeting to hear the case: one whose agenda lists it, or else the one that will
    hear its accepted referral (selectors.hearing_dates, from the cut-offs)."""
    now = timezone.now()
    listed = [item.meeting for item in items if item.removed_at is None and item.meeting.starts_at >= now]
    if listed:
        meeting = listed[0]
        return f"{_day(meeting.starts_at)}, {meeting.area.name} (on the agenda)"
    accepted = case.referrals.filter(status=Referral.Status.ACCEPTED).order_by("-decided_at").first()
    if accepted is not None:
        accepted.case = case
        on = selectors.hearing_dates([accepted]).get(accepted.pk)
        if on and on >= timezone.localdate():
            return f"{on.day} {on:%B %Y}, {case.area.name} (expected: the referral was accepted)"
    return "None planned"


def _day(moment) -> str:
    day = timezone.localtime(moment).date()
    return f"{day.day} {day:%B %Y}"


def _agenda_events(items: list[AgendaItem]) -> list[sections.CaseEvent]:
    """Heard at a meeting (one that has begun), or taken off its agenda, and why: never typed text."""
    events = []
    for item in items:
        meeting = item.meeting
        if item.removed_at is not None:
            why = item.get_removed_because_display().lower()
            text = f"Taken off the agenda of the {meeting.area.name} MARAC meeting of {_day(meeting.starts_at)}: {why}"
            events.append(sections.CaseEvent(timezone.localtime(item.removed_at).date(), text, item.removed_at))
        elif meeting.status in HELD and meeting.starts_at <= timezone.now():
            text = f"Heard at the {meeting.area.name} MARAC meeting"
            events.append(sections.CaseEvent(timezone.localtime(meeting.starts_at).date(), text, meeting.starts_at))
    return events


def agency_actions(viewer: Viewer, scope: ReferrerScope) -> sections.Section:
    """The referrer's agency's own open actions on the cases it referred, agreed at their meetings."""
    actions = [
        action_shown(a, {Rel.REFERRER, Rel.OWN_AGENCY})
        for a in Action.objects.filter(scope.cases, agency_id__in=scope.agencies, status__in=Action.INCOMPLETE)
        .select_related("case__data_key", "agency", "meeting")
        .order_by("due_on", "pk")[:200]
    ]
    return sections.Section("meetings/_agency_actions.html", {"actions": actions}, [(a.reference, a.view) for a in actions])


# A meeting has heard its cases once it has begun: before that a case is only listed, or referred.
HELD = (Meeting.Status.IN_PROGRESS, Meeting.Status.MINUTES_DRAFT, Meeting.Status.MINUTES_ISSUED, Meeting.Status.CLOSED)


def last_hearings(case_ids: set[int]) -> dict[int, tuple[str, date]]:
    """The area and day of the last meeting that heard each case (on its agenda, not taken off
    it, and begun), so a match says "heard at" only of a case a meeting actually heard."""
    heard = (
        AgendaItem.objects.filter(case_id__in=case_ids, removed_at=None, meeting__status__in=HELD, meeting__starts_at__lte=timezone.now())
        .order_by("meeting__starts_at")
        .values_list("case_id", "meeting__area__name", "meeting__starts_at")
    )
    return {case_id: (area_name, timezone.localtime(starts_at).date()) for case_id, area_name, starts_at in heard}


def meeting_choices(viewer: Viewer) -> list[tuple[int, str]]:
    """The meetings a person may filter a case list by: those they may see, latest first."""
    meetings = meetings_for(viewer).select_related("area").order_by("-starts_at")[:60]
    return [(meeting.pk, str(meeting)) for meeting in meetings]


def cases_listed_at(viewer: Viewer, meeting_id: int):
    """The cases on the agenda of one meeting the person may see (none for any other meeting)."""
    return AgendaItem.objects.filter(meeting_id=meeting_id, meeting__in=meetings_for(viewer), removed_at=None).values_list(
        "case_id", flat=True
    )


def refresh_packs_showing_case(sender: object, *, case_id: int, **kwargs: object) -> None:
    """A case's details changed: the packs of live meetings listing it are refreshed."""
    live = AgendaItem.objects.filter(case_id=case_id, removed_at=None).exclude(
        meeting__status__in=(Meeting.Status.SCHEDULED, Meeting.Status.CLOSED)
    )
    for meeting_id in set(live.values_list("meeting_id", flat=True)):
        packs_changed(meeting_id)


def forget_erased_case(sender: object, *, case_id: int, **kwargs: object) -> None:
    """A case was erased: every stored PDF holding it is deleted (and could no longer be opened)."""
    stored_packs.forget_case(case_id)
