"""What meetings adds to referrals' pages and access, registered from MeetingsConfig.ready():
referrals knows nothing of meetings (DESIGN 3), so the case page asks for its sections."""

from datetime import date

from django.utils import timezone

from marac.security.policy import Rel
from marac.viewer import Viewer
from meetings import selectors, stored_packs
from meetings.access import hearing_case_ids, meetings_for
from meetings.models import Action, AgendaItem, Meeting
from meetings.presenters import action_shown, case_meeting_history, history_views
from meetings.tasks import packs_changed
from referrals import access, sections, signals
from referrals.access import ReferrerScope
from referrals.models import Case


def register() -> None:
    access.register_case_grant(Rel.MEETING_REP, hearing_case_ids)
    sections.add_to_case_page(case_meetings)
    sections.add_to_my_referrals(agency_actions)
    sections.add_hearing_dates(selectors.hearing_dates)
    sections.add_hearings(last_hearings)
    sections.add_meeting_filter(sections.MeetingFilter(choices=meeting_choices, case_ids=cases_listed_at))
    signals.case_changed.connect(refresh_packs_showing_case, dispatch_uid="meetings.case_changed")
    signals.case_erased.connect(forget_erased_case, dispatch_uid="meetings.case_erased")


def case_meetings(viewer: Viewer, case: Case, relationships: set[Rel]) -> sections.Section:
    """The meetings that heard the case, with their issued minutes and actions, through the policy."""
    heard = case_meeting_history(case, relationships)
    return sections.Section("meetings/_case_meetings.html", {"heard": heard}, [(case.reference, v) for v in history_views(heard)])


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
