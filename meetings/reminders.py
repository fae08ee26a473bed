"""Who is told what about meetings and actions (marac/notices.py): the events the services raise
(agenda issued, action given to an agency, minutes issued) and the reminders the beat schedule
runs (research due, action due in 3 days, action overdue).

Each notification's subject key is ids only and names the occasion, so the unique constraint on
notifications makes each one once: a service retried, a reminder job run twice or two workers
racing tell nobody twice. A reminder job works out what is due from the records, never from when
it last ran, so a run missed while beat was down is made up by the next.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from marac.models import NoticeKind, Role, User
from marac.notices import notify
from meetings.models import Action, Attendance, Meeting, ResearchReturn
from meetings.selectors import working_days_before
from referrals.models import Case

ACTION_DUE_SOON_DAYS = 3
# Representatives see their agency's actions once the minutes agreeing them are issued
# (meetings.access.actions_for), so they are told about an action from then on.
ACTIONS_VISIBLE = (Meeting.Status.MINUTES_ISSUED, Meeting.Status.CLOSED)


def representatives(area_id: int, agency_ids: Iterable[int]) -> list[User]:
    """Active people who represent one of the agencies in the area."""
    return list(
        User.objects.filter(
            memberships__area_id=area_id,
            memberships__agency_id__in=list(agency_ids),
            memberships__role=Role.AGENCY_REP,
            memberships__is_active=True,
            is_active=True,
        ).distinct()
    )


def _meeting_people(meeting: Meeting) -> list[User]:
    """The meeting's chair and coordinator, and the representatives of its invited agencies."""
    invited = meeting.invited_agencies.values_list("pk", flat=True)
    return [meeting.chair, meeting.coordinator, *representatives(meeting.area_id, invited)]


def _meeting_url(meeting_id: int) -> str:
    return reverse("meeting-detail", args=[meeting_id])


def agenda_issued(meeting: Meeting, *, by: User) -> None:
    notify(
        kind=NoticeKind.AGENDA_ISSUED,
        subject_key=f"meeting:{meeting.pk}",
        users=_meeting_people(meeting),
        url=_meeting_url(meeting.pk),
        by=by,
        area_id=meeting.area_id,  # the chair and coordinator named on it only while they still are
    )


def minutes_issued(meeting: Meeting, *, by: User) -> None:
    """Everyone invited is told; each agency given an action is told about each of its actions."""
    notify(
        kind=NoticeKind.MINUTES_ISSUED,
        subject_key=f"meeting:{meeting.pk}",
        users=_meeting_people(meeting),
        url=_meeting_url(meeting.pk),
        by=by,
        area_id=meeting.area_id,  # the chair and coordinator named on it only while they still are
    )
    for action in Action.objects.filter(meeting=meeting).select_related("case", "meeting"):
        action_assigned(action, by=by)


def action_assigned(action: Action, *, by: User | None) -> None:
    """The owning agency's representatives in the case's area, once they can see the action."""
    if action.meeting.status not in ACTIONS_VISIBLE:
        return  # minutes_issued tells them
    notify(
        kind=NoticeKind.ACTION_ASSIGNED,
        subject_key=f"action:{action.pk}",
        users=representatives(action.case.area_id, [action.agency_id]),
        url=reverse("action-update", args=[action.pk]),
        by=by,
        area_id=action.case.area_id,
    )


def research_due(today: date) -> int:
    """For each meeting whose agenda is out and whose research falls due by today
    (MARAC_RESEARCH_DUE_WORKING_DAYS working days before it), tell the representatives of each
    invited agency that has not returned research on every case listed. Returns how many
    meetings were looked at."""
    days = settings.MARAC_RESEARCH_DUE_WORKING_DAYS
    now = timezone.now()
    # Working days before a date are at most this many calendar days before it (weekends and a
    # run of bank holidays), so later meetings cannot be due yet.
    horizon = now + timedelta(days=2 * days + 10)
    meetings = Meeting.objects.filter(status=Meeting.Status.AGENDA_ISSUED, starts_at__gt=now, starts_at__lte=horizon).select_related("area")
    looked_at = 0
    for meeting in meetings:
        if working_days_before(timezone.localtime(meeting.starts_at).date(), days, meeting.area.nation) > today:
            continue
        looked_at += 1
        agencies = _agencies_owing_research(meeting)
        if agencies:
            notify(
                kind=NoticeKind.RESEARCH_DUE,
                subject_key=f"meeting:{meeting.pk}:research",
                users=representatives(meeting.area_id, agencies),
                url=_meeting_url(meeting.pk),
            )
    return looked_at


def _agencies_owing_research(meeting: Meeting) -> set[int]:
    listed = set(meeting.agenda_items.filter(removed_at=None).values_list("case_id", flat=True))
    returned = (
        ResearchReturn.objects.filter(meeting=meeting, case_id__in=listed)
        .values("agency_id")
        .annotate(cases=Count("case_id", distinct=True))
    )
    complete = {row["agency_id"] for row in returned if row["cases"] >= len(listed)}
    return set(meeting.invited_agencies.values_list("pk", flat=True)) - complete


def actions_due(today: date) -> int:
    """Open actions due within ACTION_DUE_SOON_DAYS, and incomplete ones past their date: the
    owning agency's representatives are told once per action and due date (a new date, a new
    reminder). Returns how many actions were looked at."""
    soon = _actions_seen_by_agencies().filter(
        status=Action.Status.OPEN, due_on__gte=today, due_on__lte=today + timedelta(days=ACTION_DUE_SOON_DAYS)
    )
    overdue = _actions_seen_by_agencies().filter(status__in=Action.INCOMPLETE, due_on__lt=today)
    looked_at = 0
    for kind, actions, occasion in ((NoticeKind.ACTION_DUE, soon, "due"), (NoticeKind.ACTION_OVERDUE, overdue, "overdue")):
        people = _people_by_agency(actions)
        accepted = _acceptances(actions)
        for action in actions:
            looked_at += 1
            notify(
                kind=kind,
                subject_key=f"action:{action.pk}:{occasion}:{action.due_on.isoformat()}",
                users=[
                    person
                    for person in people[(action.case.area_id, action.agency_id)]
                    if (action.meeting_id, action.agency_id, person.pk) in accepted or person.pk == action.owner_user_id
                ],
                url=reverse("action-update", args=[action.pk]),
            )
    return looked_at


def _acceptances(actions) -> set[tuple[int, int, int]]:
    """(meeting, agency, person) for each confidentiality statement accepted at the actions'
    meetings: a representative is reminded only of the actions their tracker shows them
    (meetings.access.representative_actions), never of a meeting they did not accept."""
    meetings = {action.meeting_id for action in actions}
    return set(Attendance.objects.filter(meeting_id__in=meetings).values_list("meeting_id", "agency_id", "user_id"))


def _actions_seen_by_agencies():
    return Action.objects.filter(meeting__status__in=ACTIONS_VISIBLE).exclude(case__status=Case.Status.SHREDDED).select_related("case")


def _people_by_agency(actions) -> dict[tuple[int, int], list[User]]:
    """Each (area, agency) pair's representatives, asked for once per pair however many actions."""
    people: dict[tuple[int, int], list[User]] = defaultdict(list)
    for area_id, agency_id in {(a.case.area_id, a.agency_id) for a in actions}:
        people[(area_id, agency_id)] = representatives(area_id, [agency_id])
    return people
