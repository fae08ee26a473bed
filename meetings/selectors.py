"""Reads the meeting pages, packs and services share: cut-offs, what goes on an agenda, and the
action tracker. Nothing here decrypts anything; callers put records through the field policy."""

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from marac.models import MaracArea, Nation
from meetings.models import Action, AgendaItem, CaseMinutes, Meeting, MinutesAddendum, ReferralListing, ResearchReturn
from referrals.models import Case, HouseholdMember, Referral


def working_days_before(day: date, count: int, nation: str = Nation.ENGLAND) -> date:
    """`count` working days (Monday to Friday, not the nation's bank holidays) before `day`."""
    while count > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5 and day not in bank_holidays(nation, day.year):
            count -= 1
    return day


@functools.lru_cache(maxsize=64)
def bank_holidays(nation: str, year: int) -> frozenset[date]:
    # Built from the holidays package's rules (a millisecond or so), so kept per nation and year.
    return frozenset(holidays.country_holidays("GB", subdiv=nation, years=year))


def cutoff_for(meeting: Meeting) -> date:
    """The last day a referral can be accepted and still be heard at this meeting."""
    area = meeting.area
    return working_days_before(timezone.localtime(meeting.starts_at).date(), area.referral_cutoff_working_days, area.nation)


def next_meeting_for(area: MaracArea, accepted_on: date) -> Meeting | None:
    """The next scheduled meeting whose cut-off a referral accepted on `accepted_on` makes."""
    upcoming = Meeting.objects.filter(area=area, status=Meeting.Status.SCHEDULED, starts_at__date__gt=accepted_on)
    return _first_to_hear(list(upcoming.select_related("area").order_by("starts_at")[:12]), accepted_on)


def hearing_dates(referrals: list[Referral]) -> dict[int, date]:
    """The day of the meeting that hears each accepted referral: the one whose agenda lists it, or
    else the next scheduled one whose cut-off it made. Referrals heard nowhere yet are left out."""
    listed = ReferralListing.objects.filter(referral__in=referrals).select_related("meeting")
    dates = {listing.referral_id: timezone.localtime(listing.meeting.starts_at).date() for listing in listed}
    waiting = [r for r in referrals if r.pk not in dates and r.status == Referral.Status.ACCEPTED and r.decided_at]
    if not waiting:
        return dates
    upcoming: dict[int, list[Meeting]] = defaultdict(list)
    scheduled = Meeting.objects.filter(
        area_id__in={r.case.area_id for r in waiting},
        status=Meeting.Status.SCHEDULED,
        starts_at__date__gt=min(timezone.localtime(r.decided_at).date() for r in waiting),
    )
    for meeting in scheduled.select_related("area").order_by("starts_at"):
        upcoming[meeting.area_id].append(meeting)
    for referral in waiting:
        meeting = _first_to_hear(upcoming[referral.case.area_id], timezone.localtime(referral.decided_at).date())
        if meeting:
            dates[referral.pk] = timezone.localtime(meeting.starts_at).date()
    return dates


def _first_to_hear(meetings: list[Meeting], accepted_on: date) -> Meeting | None:
    """The first of these meetings (in date order) whose cut-off a referral accepted on `accepted_on` made."""
    return next((m for m in meetings if timezone.localtime(m.starts_at).date() > accepted_on and accepted_on <= cutoff_for(m)), None)


def referrals_for_agenda(meeting: Meeting) -> QuerySet[Referral]:
    """Accepted referrals listed for this meeting, or accepted by its cut-off and not yet listed
    anywhere, whose case is not already on it."""
    listed_here = Referral.objects.filter(listing__meeting=meeting, case__area=meeting.area)
    unlisted = Referral.objects.filter(listing=None, decided_at__date__lte=cutoff_for(meeting), case__area=meeting.area)
    return (
        (listed_here | unlisted)
        .filter(status=Referral.Status.ACCEPTED, case__status=Case.Status.OPEN)
        .exclude(case__agenda_items__meeting=meeting)
        .annotate(has_children=_has_children())
        .order_by("decided_at", "pk")
    )


def _has_children():
    return Exists(HouseholdMember.objects.filter(case=OuterRef("case"), is_child=True))


def _live_items(meeting: Meeting) -> QuerySet[AgendaItem]:
    """Live agenda items with everything a page or pack shows about each case, in a fixed number
    of queries whatever their number."""
    return (
        meeting.agenda_items.filter(removed_at=None)
        .exclude(case__status=Case.Status.SHREDDED)
        .select_related(
            "case__area", "case__data_key", "case__victim", "case__referring_agency", "referral__assessment", "referral__referring_agency"
        )
        .prefetch_related(
            Prefetch("case__household", queryset=HouseholdMember.objects.select_related("case__data_key")), Prefetch("case__perpetrators")
        )
    )


def agenda(meeting: Meeting) -> list[AgendaItem]:
    """The live agenda in order."""
    return list(_live_items(meeting))


def agenda_item(meeting: Meeting, case: Case) -> AgendaItem:
    """One case's live item, loaded as agenda() loads them all (the case page needs only its own)."""
    return _live_items(meeting).get(case=case)


def removed_items(meeting: Meeting) -> QuerySet[AgendaItem]:
    return meeting.agenda_items.exclude(removed_at=None).select_related("case", "removed_by")


def carried_over_actions(meeting: Meeting) -> QuerySet[Action]:
    """Incomplete actions from the area's earlier meetings: reviewed first on every agenda."""
    return (
        Action.objects.filter(case__area=meeting.area, status__in=Action.INCOMPLETE, meeting__starts_at__lt=meeting.starts_at)
        .exclude(case__status=Case.Status.SHREDDED)
        .select_related("case__data_key", "agency", "meeting")
        .order_by("due_on", "pk")
    )


@dataclass(frozen=True)
class ClosingWindow:
    reference: str
    last_referral: date
    closes_on: date


def windows_closing(meeting: Meeting, *, within_days: int = 28) -> list[ClosingWindow]:
    """Cases whose 12-month repeat window (from their last referral) closes in the four weeks
    after this meeting: after that, a new incident no longer makes a repeat (DESIGN 2.3, 2.4)."""
    year_before = timezone.localtime(meeting.starts_at).date() - timedelta(days=365)
    cases = (
        Case.objects.filter(area=meeting.area, status=Case.Status.OPEN)
        .annotate(last=Max("referrals__submitted_on"))
        .filter(last__gte=year_before, last__lt=year_before + timedelta(days=within_days))
        .order_by("last")
    )
    return [ClosingWindow(c.reference, c.last, c.last + timedelta(days=365)) for c in cases.only("reference")]


@dataclass
class MeetingRecords:
    """The meeting's own records about its cases, by case id, fetched in a fixed number of queries."""

    research: dict[int, list[ResearchReturn]]
    minutes: dict[int, CaseMinutes]
    addenda: dict[int, list[MinutesAddendum]]
    actions: dict[int, list[Action]]

    def for_case(self, case_id: int) -> dict:
        minutes = self.minutes.get(case_id)
        return {
            "research": self.research.get(case_id, []),
            "minutes": minutes,
            "addenda": self.addenda.get(minutes.pk, []) if minutes else [],
            "actions": self.actions.get(case_id, []),
        }


def meeting_records(meeting: Meeting, case_ids: set[int]) -> MeetingRecords:
    research, addenda, actions = defaultdict(list), defaultdict(list), defaultdict(list)
    for record in ResearchReturn.objects.filter(meeting=meeting, case_id__in=case_ids).select_related("case__data_key", "agency"):
        research[record.case_id].append(record)
    minutes = {m.case_id: m for m in CaseMinutes.objects.filter(meeting=meeting, case_id__in=case_ids).select_related("case__data_key")}
    for addendum in MinutesAddendum.objects.filter(minutes__meeting=meeting, case_id__in=case_ids).select_related(
        "case__data_key", "added_by"
    ):
        addenda[addendum.minutes_id].append(addendum)
    # This meeting's actions, and any still incomplete from before, so the case's plan is whole.
    wanted = Q(meeting=meeting) | Q(status__in=Action.INCOMPLETE, meeting__starts_at__lt=meeting.starts_at)
    for action in Action.objects.filter(wanted, case_id__in=case_ids).select_related("case__data_key", "agency", "meeting__area"):
        actions[action.case_id].append(action)
    return MeetingRecords(research=dict(research), minutes=minutes, addenda=dict(addenda), actions=dict(actions))
