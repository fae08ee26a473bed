"""The MARAC rules that decide referrals and repeats (DESIGN 2.2, 2.3), as plain functions of
dates, counts and codes, so each edge can be tested on its own with a frozen clock.
"""

from datetime import date, timedelta
from enum import StrEnum

from marac.models import EscalationBasis, MaracArea, RepeatDefinition
from marac.periods import add_months
from referrals.models import Incident

REPEAT_WINDOW_MONTHS = 12
ESCALATION_WINDOW_MONTHS = 12


class Criterion(StrEnum):
    VISIBLE_HIGH_RISK = "visible_high_risk"
    PROFESSIONAL_JUDGEMENT = "professional_judgement"
    POTENTIAL_ESCALATION = "potential_escalation"
    REPEAT = "repeat"


CRITERION_LABELS = {
    Criterion.VISIBLE_HIGH_RISK: "Visible high risk",
    Criterion.PROFESSIONAL_JUDGEMENT: "Professional judgement",
    Criterion.POTENTIAL_ESCALATION: "Potential escalation",
    Criterion.REPEAT: "Repeat",
}

# NI 32 (2008) counts violence or threats of it (including to property), a pattern of stalking or
# harassment, and rape or sexual abuse. The current (SafeLives) definition counts any abuse
# between the same victim and perpetrator, criminal or not.
NI32_KINDS = frozenset({Incident.Kind.VIOLENCE, Incident.Kind.THREATS, Incident.Kind.STALKING, Incident.Kind.SEXUAL})


def within_repeat_window(*, last_referral: date, incident: date) -> bool:
    """After the last referral and no later than the same date 12 months on (that day included).

    So from a referral on 1 March 2025 the window ends on 1 March 2026 (day 365); from one on
    1 March 2023 it ends on 1 March 2024, day 366 because it spans 29 February 2024; from 29
    February 2024 it ends on 28 February 2025.
    """
    return last_referral < incident <= add_months(last_referral, REPEAT_WINDOW_MONTHS)


def last_referral_bounds(first_day: date, last_day: date) -> tuple[date, date]:
    """The last-referral dates whose 12-month repeat window (referrals.rules.within_repeat_window:
    to the same date a year on, 29 February clamping to the 28th) ends between the two days,
    inclusive. add_months never goes backwards, so the dates form one range."""

    def closes(day: date) -> date:
        return add_months(day, REPEAT_WINDOW_MONTHS)

    earliest = add_months(first_day, -REPEAT_WINDOW_MONTHS)
    while closes(earliest - timedelta(days=1)) >= first_day:
        earliest -= timedelta(days=1)
    while closes(earliest) < first_day:
        earliest += timedelta(days=1)
    latest = add_months(last_day, -REPEAT_WINDOW_MONTHS)
    while closes(latest + timedelta(days=1)) <= last_day:
        latest += timedelta(days=1)
    while closes(latest) > last_day:
        latest -= timedelta(days=1)
    return earliest, latest


def kind_counts_as_repeat(kind: str, definition: str) -> bool:
    if definition == RepeatDefinition.NI32_2008:
        return kind in NI32_KINDS
    return kind in Incident.Kind.values


def is_repeat(*, last_referral: date | None, incident: date, kind: str, definition: str) -> bool:
    """A further incident on a case referred before, within the window, of a kind the area's
    definition counts. Without an earlier referral there is nothing to repeat."""
    if last_referral is None:
        return False
    return within_repeat_window(last_referral=last_referral, incident=incident) and kind_counts_as_repeat(kind, definition)


def last_referral_before(referred_on: list[date], incident: date) -> date | None:
    """The last referral made before an incident: the one a repeat is counted from."""
    return max((day for day in referred_on if day < incident), default=None)


def definitions_met(*, referred_on: list[date], incident: date, kind: str) -> list[str]:
    """The repeat definitions (RepeatDefinition values) under which this incident makes the case a
    repeat: within 12 months of the last referral before it, of a kind the definition counts."""
    last = last_referral_before(referred_on, incident)
    return [d for d in RepeatDefinition.values if is_repeat(last_referral=last, incident=incident, kind=kind, definition=d)]


def repeat_now(*, last_referral: date | None, incidents: list[tuple[date, str]], today: date, definition: str) -> bool:
    """Whether a referral made today would be a repeat from the case's own history: a further
    incident the definition counts after the last referral, with today still in its window."""
    if last_referral is None or today > add_months(last_referral, REPEAT_WINDOW_MONTHS):
        return False
    return any(is_repeat(last_referral=last_referral, incident=on, kind=kind, definition=definition) for on, kind in incidents)


def escalation_window_start(today: date) -> date:
    """The day before the 12 months potential escalation counts: incidents after it, to today."""
    return add_months(today, -ESCALATION_WINDOW_MONTHS)


# The Incident flag each escalation basis counts (DESIGN 2.2). SafeLives words the criterion as
# incidents reported to the police; an area may count police call-outs instead.
ESCALATION_FLAGS = {EscalationBasis.INCIDENTS_REPORTED: "reported_to_police", EscalationBasis.POLICE_CALLOUTS: "police_callout"}


def escalation_flag(area: MaracArea) -> str:
    return ESCALATION_FLAGS[EscalationBasis(area.escalation_basis)]


def referral_criteria(
    *, score: int, area: MaracArea, judgement: bool, escalation_count: int, repeat: bool, tool_high_risk: bool = False
) -> set[Criterion]:
    """Which criteria a referral meets. Any one is enough; a repeat must be referred whatever its score.
    `escalation_count` is what the area's escalation basis counts in the last 12 months;
    `tool_high_risk`, that another risk tool gave a level the area counts as high (ADR 0024)."""
    met = set()
    if score >= area.high_risk_threshold or tool_high_risk:
        met.add(Criterion.VISIBLE_HIGH_RISK)
    if judgement:
        met.add(Criterion.PROFESSIONAL_JUDGEMENT)
    if escalation_count >= area.escalation_callouts:
        met.add(Criterion.POTENTIAL_ESCALATION)
    if repeat:
        met.add(Criterion.REPEAT)
    return met
