"""Reads the meeting pages, packs and services share: cut-offs, what goes on an agenda, and the
action tracker. Nothing here decrypts anything; callers put records through the field policy."""

import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from marac.models import Nation
from marac.periods import add_months
from meetings.models import Action, AgendaItem, CaseMinutes, Meeting, MinutesAddendum, ReferralListing, ResearchReturn
from referrals.models import Case, HouseholdMember, Referral
from referrals.rules import REPEAT_WINDOW_MONTHS, last_referral_bounds
from referrals.selectors import REFERRED


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


def hearing_dates(referrals: list[Referral]) -> dict[int, date]:
    """The day of the meeting that hears each accepted referral: the one whose agenda lists it, or
    else the one that will (_first_to_hear). Referrals no meeting will hear yet are left out."""
    listed = ReferralListing.objects.filter(referral__in=referrals).select_related("meeting")
    dates = {listing.referral_id: timezone.localtime(listing.meeting.starts_at).date() for listing in listed}
    waiting = [r for r in referrals if r.pk not in dates and r.status == Referral.Status.ACCEPTED and r.decided_at]
    open_meetings = _open_meetings({r.case.area_id for r in waiting}, after=min((_accepted_on(r) for r in waiting), default=None))
    passed_over = _agendas_of({r.case_id for r in waiting})
    for referral in waiting:
        meeting = _first_to_hear(open_meetings[referral.case.area_id], _accepted_on(referral), passed_over[referral.case_id])
        if meeting:
            dates[referral.pk] = timezone.localtime(meeting.starts_at).date()
    return dates


def referrals_for_agenda(meeting: Meeting) -> list[Referral]:
    """Accepted referrals for this meeting's agenda whose case is not already on it: those listed
    for it, and those no agenda lists yet that this meeting is the first to hear, so building a
    later meeting's agenda early cannot take a referral from an earlier one."""
    listed_here = Q(listing__meeting=meeting)
    unlisted = Q(listing=None, decided_at__date__lte=cutoff_for(meeting))
    accepted = Q(listed_here | unlisted, case__area=meeting.area, status=Referral.Status.ACCEPTED, case__status=Case.Status.OPEN)
    here = ReferralListing.objects.filter(referral=OuterRef("pk"), meeting=meeting)
    candidates = list(
        Referral.objects.filter(accepted)
        .exclude(case__agenda_items__meeting=meeting)
        .annotate(has_children=_has_children(), listed_here=Exists(here))
        .select_related("case")
        .order_by("decided_at", "pk")
    )
    unlisted_from = min((_accepted_on(r) for r in candidates if not r.listed_here), default=None)
    earlier = _open_meetings({meeting.area_id}, after=unlisted_from)[meeting.area_id]
    passed_over = _agendas_of({r.case_id for r in candidates})
    return [r for r in candidates if r.listed_here or _first_to_hear(earlier, _accepted_on(r), passed_over[r.case_id]) in (meeting, None)]


def _accepted_on(referral: Referral) -> date:
    return timezone.localtime(referral.decided_at).date()


def _open_meetings(area_ids: set[int], *, after: date | None) -> dict[int, list[Meeting]]:
    """Per area, the meetings whose agenda is not issued yet that start after `after`, in date order.
    Once an agenda is issued, a later referral goes to the next meeting (or is added as urgent)."""
    by_area: dict[int, list[Meeting]] = defaultdict(list)
    if after is None:
        return by_area
    meetings = Meeting.objects.filter(area_id__in=area_ids, status=Meeting.Status.SCHEDULED, starts_at__date__gt=after)
    for meeting in meetings.select_related("area").order_by("starts_at", "pk"):
        by_area[meeting.area_id].append(meeting)
    return by_area


def _agendas_of(case_ids: set[int]) -> dict[int, set[int]]:
    """Per case, the meetings whose agenda has listed it, taken off since or not."""
    agendas: dict[int, set[int]] = defaultdict(set)
    for case_id, meeting_id in AgendaItem.objects.filter(case_id__in=case_ids).values_list("case_id", "meeting_id"):
        agendas[case_id].add(meeting_id)
    return agendas


def _first_to_hear(meetings: list[Meeting], accepted_on: date, passed_over: set[int]) -> Meeting | None:
    """Which meeting hears an accepted referral no agenda lists yet: the first of `meetings` (an
    area's meetings whose agenda is not issued yet, in date order) starting after it was accepted whose cut-off it made, and
    not one whose agenda already passed over the case (deferred from it, say)."""
    return next(
        (
            m
            for m in meetings
            if m.pk not in passed_over and timezone.localtime(m.starts_at).date() > accepted_on and accepted_on <= cutoff_for(m)
        ),
        None,
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
        .select_related("referral__tool_assessment")  # a referral resting on another risk tool (ADR 0024)
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
    """Open cases whose 12-month repeat window (from their last referral) closes in the four weeks
    after this meeting: after that, a new incident no longer makes a repeat (DESIGN 2.3, 2.4).
    The window and the referrals that count are the rules' own (referrals.rules), as the home
    page's count of the same cases uses them."""
    start = timezone.localtime(meeting.starts_at).date()
    earliest, latest = last_referral_bounds(start, start + timedelta(days=within_days))
    cases = (
        Case.objects.filter(area=meeting.area, status=Case.Status.OPEN)
        .annotate(last=Max("referrals__submitted_on", filter=Q(referrals__status__in=REFERRED)))
        .filter(last__gte=earliest, last__lte=latest)
        .order_by("last")
    )
    return [ClosingWindow(c.reference, c.last, add_months(c.last, REPEAT_WINDOW_MONTHS)) for c in cases.only("reference")]


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
