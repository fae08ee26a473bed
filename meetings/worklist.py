"""What meetings puts on the home page's work list (marac.worklist), registered from
MeetingsConfig.ready(): the coordinator's meetings, agendas, research and overdue actions and the
repeat windows closing; the chair's next meeting and minutes; the representative's statements,
research and actions; the referrer's agency's actions.

Every provider counts with SQL aggregates, in a fixed number of queries however many cases,
meetings or actions there are, and only within the areas and agencies of the person's
memberships, as the access getters (meetings.access) scope the pages the items link to. Nothing
is decrypted: items carry counts, agency names, area codes and dates, never a case or a victim.
"""

from datetime import date, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from marac import worklist
from marac.models import Role
from marac.viewer import Viewer
from marac.worklist import WorkItem
from meetings.access import representative_actions
from meetings.models import Action, AgendaItem, Attendance, Meeting, ResearchReturn
from meetings.selectors import cutoff_for
from referrals.access import referrer_scope
from referrals.models import Case, Referral
from referrals.rules import last_referral_bounds
from referrals.selectors import REFERRED

DUE_SOON_DAYS = 7
WINDOW_NOTICE_DAYS = 28  # as the meeting page's "Repeat windows closing" (selectors.windows_closing)
HELD = (Meeting.Status.MINUTES_ISSUED, Meeting.Status.CLOSED)
MINUTES_TO_ISSUE = (Meeting.Status.IN_PROGRESS, Meeting.Status.MINUTES_DRAFT)


def register() -> None:
    worklist.register(Role.REFERRER, referrer_work)
    worklist.register(Role.COORDINATOR, coordinator_work)
    worklist.register(Role.CHAIR, chair_work)
    worklist.register(Role.AGENCY_REP, representative_work)


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def by_agency(rows: list[dict]) -> tuple[int, str]:
    """The total and "Police 4, Health 2" from rows of {"agency": name, "count": n}, most first."""
    rows = sorted(rows, key=lambda row: (-row["count"], row["agency"]))
    return sum(row["count"] for row in rows), ", ".join(f"{row['agency']} {row['count']}" for row in rows)


def next_meetings(viewer: Viewer, area_ids: set[int]) -> list[Meeting]:
    """The next meeting of each area, in one query (each area's first upcoming, as a subquery),
    asked once a request when the coordinator's and the chair's areas are the same."""
    if not area_ids:
        return []
    return viewer.remember(f"next_meetings:{sorted(area_ids)}", lambda: _next_meetings(area_ids))


def _next_meetings(area_ids: set[int]) -> list[Meeting]:
    """Each with `unissued`, its area's upcoming meetings whose agenda is not issued yet (such an
    area always has a next meeting, so summing them over the areas misses none)."""
    upcoming = Meeting.objects.filter(starts_at__gte=timezone.now()).exclude(status__in=HELD)
    first_in_area = upcoming.filter(area=OuterRef("area")).order_by("starts_at", "pk").values("pk")[:1]
    unissued = (
        upcoming.filter(area=OuterRef("area"), status=Meeting.Status.SCHEDULED).values("area").annotate(count=Count("pk")).values("count")
    )
    return list(
        Meeting.objects.filter(area_id__in=area_ids, pk=Subquery(first_in_area))
        .annotate(unissued=Coalesce(Subquery(unissued), 0))
        .select_related("area")
        .order_by("starts_at")
    )


def next_meeting_items(meetings: list[Meeting], *, with_cutoff: bool) -> list[WorkItem]:
    items = []
    for meeting in meetings:  # one an area the person holds the role in, never one a row
        detail = f"{meeting.area.short_code}, {_day(timezone.localtime(meeting.starts_at).date())}, {meeting.get_status_display().lower()}"
        if with_cutoff:
            detail += f"; referrals accepted by {_day(cutoff_for(meeting))} are heard there"
        items.append(WorkItem("Next meeting", None, reverse("meeting-detail", args=[meeting.pk]), detail))
    return items


# The coordinator


def coordinator_work(viewer: Viewer) -> list[WorkItem]:
    """Three queries: the next meetings, what each agency owes (research and overdue actions,
    in one), and the repeat windows closing."""
    areas = viewer.areas_for(Role.COORDINATOR)
    today = timezone.localdate()
    meetings = next_meetings(viewer, areas)
    unissued = sum(meeting.unissued for meeting in meetings)  # one an area
    owed = owed_by_agency(areas, today)
    missing, missing_detail = by_agency(owed["research"])
    overdue, overdue_detail = by_agency(owed["actions"])
    return [
        *next_meeting_items(meetings, with_cutoff=True),
        WorkItem("Agendas not yet issued", unissued, reverse("meeting-list"), "upcoming meetings"),
        WorkItem("Research returns missing", missing, reverse("meeting-list"), missing_detail),
        WorkItem("Overdue actions", overdue, f"{reverse('action-tracker')}?status=overdue", overdue_detail),
        windows_closing_item(areas, meetings, today),
    ]


def owed_by_agency(areas: set[int], today: date) -> dict[str, list[dict]]:
    """Per agency, the research returns missing and the overdue actions, in one query (a union:
    each round trip to the database costs more than either count)."""
    research = _research_missing(Q(meeting__area_id__in=areas)).annotate(kind=Value("research"))
    actions = (
        Action.objects.filter(case__area_id__in=areas, status__in=Action.INCOMPLETE, due_on__lt=today)
        .exclude(case__status=Case.Status.SHREDDED)
        .values(name=F("agency__name"))
        .annotate(count=Count("pk"), kind=Value("actions"))
    )
    owed: dict[str, list[dict]] = {"research": [], "actions": []}
    # No ordering in either part: SQLite allows none inside a compound statement.
    both = research.values_list("name", "count", "kind").order_by().union(actions.values_list("name", "count", "kind").order_by(), all=True)
    for row in both:
        owed[row[2]].append({"agency": row[0], "count": row[1]})  # one row an agency
    return owed


def research_missing(where: Q) -> list[dict]:
    """Per invited agency, the cases on issued agendas of meetings not yet held for which it has
    returned no research, as [{"agency": name, "count": n}]."""
    return list(_research_missing(where).values("count", agency=F("name")))


def _research_missing(where: Q) -> QuerySet:
    """One query: an agenda item joined to each agency its meeting invited, without a return."""
    returned = ResearchReturn.objects.filter(meeting=OuterRef("meeting"), case=OuterRef("case"), agency=OuterRef("agency"))
    return (
        AgendaItem.objects.filter(where, meeting__status=Meeting.Status.AGENDA_ISSUED, removed_at=None)
        .exclude(case__status=Case.Status.SHREDDED)
        .annotate(agency=F("meeting__invited_agencies"), agency_name=F("meeting__invited_agencies__name"))
        .filter(~Exists(returned), agency__isnull=False)
        .values(name=F("agency_name"))
        .annotate(count=Count("pk"))
    )


def windows_closing_item(areas: set[int], meetings: list[Meeting], today: date) -> WorkItem:
    """Open cases whose repeat window closes within four weeks of the area's next meeting (or of
    today, in an area with none): counted only, never named. The next meeting's page lists them.

    A case counts when a referral of it was made in the range of dates whose window closes then,
    and none later: found through the referral dates' index, not by taking every case's latest."""
    starts = {m.area_id: timezone.localtime(m.starts_at).date() for m in meetings}
    in_range, since = Q(pk__in=[]), today
    for area_id in areas:
        start = starts.get(area_id, today)
        earliest, latest = last_referral_bounds(start, start + timedelta(days=WINDOW_NOTICE_DAYS))
        in_range |= Q(case__area_id=area_id, submitted_on__gte=earliest, submitted_on__lte=latest)
        since = min(since, earliest)
    # A later referral is after the earliest date in range too: said as a constant, so the
    # database looks only at the last year's referrals, through their date's index.
    made_later = Referral.objects.filter(
        case=OuterRef("case"), status__in=REFERRED, submitted_on__gt=OuterRef("submitted_on"), submitted_on__gte=since
    )
    count = (
        Referral.objects.filter(in_range, status__in=REFERRED, case__status=Case.Status.OPEN)
        .exclude(Exists(made_later))
        .aggregate(cases=Count("case", distinct=True))["cases"]
    )
    url = reverse("meeting-detail", args=[meetings[0].pk]) if meetings else reverse("meeting-list")
    detail = "open cases whose 12-month repeat window closes within 4 weeks of the next meeting"
    return WorkItem("Repeat windows closing", count, url, detail)


# The chair


def chair_work(viewer: Viewer) -> list[WorkItem]:
    """Two queries."""
    areas = viewer.areas_for(Role.CHAIR)
    to_issue = Meeting.objects.filter(area_id__in=areas, status__in=MINUTES_TO_ISSUE, starts_at__lt=timezone.now()).count()
    return [
        *next_meeting_items(next_meetings(viewer, areas), with_cutoff=False),
        WorkItem("Minutes to issue", to_issue, reverse("meeting-list"), "meetings held whose minutes are not yet issued"),
    ]


# The agency representative


def representative_work(viewer: Viewer) -> list[WorkItem]:
    """Three queries."""
    pairs = viewer.pairs_for(Role.AGENCY_REP)
    today = timezone.localdate()
    statements = statements_to_accept(viewer, pairs)
    research, _ = by_agency(research_missing(rep_research_scope(pairs)))
    # As the tracker shows them (meetings.access.actions_for), so the count and the list agree.
    actions = representative_actions(viewer)
    return [
        WorkItem("Confidentiality statements to accept", statements, reverse("meeting-list"), "meetings whose agenda you cannot open yet"),
        WorkItem("Research due", research, reverse("meeting-list"), "cases on issued agendas with no research from your agency"),
        *due_and_overdue(Action.objects.filter(actions), today, tracker=reverse("action-tracker")),
    ]


def rep_research_scope(pairs: set[tuple[int, int]]) -> Q:
    """Agenda items of meetings in the person's areas, for the agencies they represent there (the
    agency the research_missing query joins each item to)."""
    scope = Q(pk__in=[])
    for area_id, agency_id in pairs:
        scope |= Q(meeting__area_id=area_id, meeting__invited_agencies=agency_id)
    return scope


def statements_to_accept(viewer: Viewer, pairs: set[tuple[int, int]]) -> int:
    """Meetings with an issued agenda, not yet held, that invited an agency the person represents
    in that area and whose statement they have not accepted for it."""
    invited = Q(pk__in=[])
    for area_id, agency_id in pairs:
        invited |= Q(area_id=area_id, invited_agencies=agency_id)
    accepted = Attendance.objects.filter(meeting=OuterRef("pk"), user=viewer.user, agency_id__in={agency for _, agency in pairs})
    return (
        Meeting.objects.filter(invited, status__in=(Meeting.Status.AGENDA_ISSUED, Meeting.Status.IN_PROGRESS))
        .exclude(Exists(accepted))
        .aggregate(count=Count("pk", distinct=True))["count"]
    )


def due_and_overdue(actions: QuerySet, today: date, *, tracker: str = "", page: str = "") -> list[WorkItem]:
    """One query: incomplete actions overdue, and due in the next seven days. Linked to the action
    tracker, filtered (`tracker`: its incomplete actions are listed by due date, so those due soon
    follow the overdue), or to a page that lists them all (`page`)."""
    counts = (
        actions.filter(status__in=Action.INCOMPLETE)
        .exclude(case__status=Case.Status.SHREDDED)
        .aggregate(
            overdue=Count("pk", filter=Q(due_on__lt=today)),
            due=Count("pk", filter=Q(due_on__gte=today, due_on__lte=today + timedelta(days=DUE_SOON_DAYS))),
        )
    )
    return [
        WorkItem("Actions overdue", counts["overdue"], page or f"{tracker}?status=overdue", "your agency's actions past their due date"),
        WorkItem(
            "Actions due soon",
            counts["due"],
            page or f"{tracker}?status=incomplete",
            f"your agency's actions due in the next {DUE_SOON_DAYS} days",
        ),
    ]


# The referrer


def referrer_work(viewer: Viewer) -> list[WorkItem]:
    """One query: their agency's actions on the cases it referred (the "open actions" on their
    referrals page, registered in contributions.agency_actions)."""
    scope = referrer_scope(viewer)
    if scope is None:
        return []
    actions = Action.objects.filter(scope.cases, agency_id__in=scope.agencies)
    return due_and_overdue(actions, timezone.localdate(), page=reverse("my-referrals"))
