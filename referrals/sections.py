"""What other apps show on referrals' pages. referrals knows nothing of meetings (DESIGN 3): an app
with something to add to a case page or to a referrer's list registers a function here from its
AppConfig.ready(). Each returns a section: a template, its context, and the redacted views it
shows, whose revealed fields the page adds to its access events. The page renders the sections in
the order the apps registered them."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from marac.security.policy import RedactedView, Rel
from marac.viewer import Viewer
from referrals.access import ReferrerScope
from referrals.models import Case, Referral


@dataclass(frozen=True)
class CaseEvent:
    """One line of a case page's chronology. Never typed text: the chronology shows what happened
    and when to everyone who may see the case, so what was written stays behind the field policy."""

    on: date
    text: str
    at: datetime | None = None  # for order within a day, when the time is known
    first_of_day: bool = False  # "Case opened": before anything else that day, timed or not

    @property
    def order(self) -> tuple[date, bool, float]:
        return (self.on, not self.first_of_day, self.at.timestamp() if self.at else 0.0)


@dataclass(frozen=True)
class Section:
    template: str
    context: dict[str, Any]
    views: list[tuple[str, RedactedView]] = field(default_factory=list)  # (case reference, what it shows of it)
    # On a case page: rows for the case's summary at the top ("Next MARAC meeting"), and lines for
    # its chronology. Neither may carry typed text (see CaseEvent).
    summary: list[tuple[str, str]] = field(default_factory=list)
    events: list[CaseEvent] = field(default_factory=list)

    def reads(self) -> dict[str, set[str]]:
        """The fields revealed per case: ask once the page is rendered, as views count what is read."""
        reads: dict[str, set[str]] = {}
        for reference, view in self.views:
            reads.setdefault(reference, set()).update(view.revealed)
        return reads


CaseSection = Callable[[Viewer, Case, set[Rel]], Section]
ReferrerSection = Callable[[Viewer, ReferrerScope], Section]
HearingDates = Callable[[list[Referral]], dict[int, date]]
# {case id: (the area whose meeting heard it, the day)}: the last meeting that heard each case.
Hearings = Callable[[set[int]], dict[int, tuple[str, date]]]


@dataclass(frozen=True)
class MeetingFilter:
    """How a case list filters by meeting, which only the meetings app knows: the meetings the
    person may pick from (id, label), and the cases listed at one of them (a values_list of ids)."""

    choices: Callable[[Viewer], list[tuple[int, str]]]
    case_ids: Callable[[Viewer, int], Any]


_case_page: list[CaseSection] = []
_my_referrals: list[ReferrerSection] = []
_hearing_dates: list[HearingDates] = []
_hearings: list[Hearings] = []
_meeting_filters: list[MeetingFilter] = []


def _add(registry: list, contribution: Callable) -> None:
    if contribution not in registry:  # registering twice (ready() run again) must not show a section twice
        registry.append(contribution)


def add_to_case_page(section: CaseSection) -> None:
    _add(_case_page, section)


def add_to_my_referrals(section: ReferrerSection) -> None:
    _add(_my_referrals, section)


def add_hearing_dates(dates: HearingDates) -> None:
    """`dates(referrals)` gives the day of the meeting that hears (or will hear) each referral."""
    _add(_hearing_dates, dates)


def add_hearings(hearings: Hearings) -> None:
    _add(_hearings, hearings)


def add_meeting_filter(meeting_filter: MeetingFilter) -> None:
    _add(_meeting_filters, meeting_filter)


def meeting_filter() -> MeetingFilter | None:
    return _meeting_filters[0] if _meeting_filters else None


def last_hearings(case_ids: set[int]) -> dict[int, tuple[str, date]]:
    """Where and when each case was last heard, for those a meeting has heard."""
    found: dict[int, tuple[str, date]] = {}
    for hearings in _hearings:
        found.update(hearings(case_ids))
    return found


def case_page_sections(viewer: Viewer, case: Case, relationships: set[Rel]) -> list[Section]:
    return [section(viewer, case, relationships) for section in _case_page]


def my_referrals_sections(viewer: Viewer, scope: ReferrerScope) -> list[Section]:
    return [section(viewer, scope) for section in _my_referrals]


def with_section_reads(reads: dict[str, set[str]], shown: list[Section]) -> dict[str, set[str]]:
    """`reads` with what each section revealed added, per case (a section may show other cases
    than the page's own). Ask once the page is rendered."""
    for section in shown:
        for reference, fields in section.reads().items():
            reads.setdefault(reference, set()).update(fields)
    return reads


def hearing_dates(referrals: list[Referral]) -> dict[int, date]:
    found: dict[int, date] = {}
    for dates in _hearing_dates:
        found.update(dates(referrals))
    return found
