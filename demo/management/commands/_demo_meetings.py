"""Demo meetings for seed_demo: one held about six months ago, with its minutes issued and actions
in every state, and one coming up with its agenda issued. Everything goes through the services,
as a coordinator, chair and representative would do it on the pages."""

import random
from datetime import timedelta

from django.utils import timezone

from demo.synthetic import bulk_hearings, held_meeting, random_hearing
from marac.models import User
from marac.periods import quarters_to
from meetings import services as meetings
from referrals.models import Case

MINUTES = {
    "information_shared": {
        "Leicestershire Police": "Three call-outs in six months; the last a breach of a non-molestation order.",
        "Leicestershire Children's Social Care": "Mia is on a child in need plan; the school reports she is withdrawn.",
        "Loughborough Women's Aid": "The IDVA is in weekly contact; the victim is frightened he will find the new address.",
    },
    "risks": "Escalating stalking since separation; child contact handovers used to find out where she lives.",
    "decisions": ["mappa", "dvds"],
    "decision_notes": "MAPPA referral by the police today; the disclosure application is to confirm his history.",
}
# Encrypted under the meeting's own key: a venue can identify a refuge (test_raw_dumps looks for it).
VENUE = "Coalville Police Station, meeting room 2"
ACTIONS = [  # agency, owner, what, due in days from the meeting, final status, progress note
    (
        "Leicestershire Police",
        "DC Amy Patel",
        "Flag the safe address for a priority response",
        7,
        "done",
        "Flag in place on the police system.",
    ),
    ("Leicestershire Children's Social Care", "Tom Okafor", "Review the plan for Mia with the school", 28, "open", ""),
    (
        "North West Leicestershire District Council Housing",
        "Lee Grant",
        "Fit sanctuary measures at the new address",
        14,
        "not_possible",
        "She moved again before the work could be done.",
    ),
    (
        "Loughborough Women's Aid",
        "Priya Shah",
        "Support her to apply for a non-molestation order renewal",
        21,
        "not_done",
        "Court date not yet set; carried to the next meeting.",
    ),
]


def seed_meetings(area, agencies) -> None:
    people = {u.username: u for u in User.objects.filter(username__in=["coordinator", "chair", "agency_rep"])}
    _past_meeting(area, agencies, people)
    _upcoming_meeting(area, agencies, people)
    _earlier_quarters(area, agencies, people)  # last: its referrals are already heard, so no agenda picks them up


def _earlier_quarters(area, agencies, people) -> None:
    """A meeting in each of the seven quarters before this one, with a few synthetic cases each
    (named "Synthetic person N"), so the NI 32 trend chart has something to show."""
    # Repeatable demo data, nothing secret
    rng = random.Random(2026)  # noqa: S311  # nosec B311
    police = agencies["Leicestershire Police"]
    for quarter in quarters_to(timezone.localdate(), 8)[:-1]:
        meeting = held_meeting(
            area=area, on=quarter.start + timedelta(days=40), chair=people["chair"], coordinator=people["coordinator"], agencies=[police]
        )
        bulk_hearings(
            meeting=meeting,
            hearings=[random_hearing(rng) for _ in range(rng.randrange(4, 9))],
            by=people["coordinator"],
            agency=rng.choice([police, agencies["Loughborough Women's Aid"]]),
            first_number=Case.objects.count() + 1,
        )


def _past_meeting(area, agencies, people) -> None:
    """Played on the days it happened, so every record of it carries its own date (the agenda
    issued a fortnight before, research the week before, minutes issued after), not today's."""
    coordinator, chair, rep = people["coordinator"], people["chair"], people["agency_rep"]
    invited = [
        agencies[name]
        for name in (
            "Leicestershire Police",
            "Loughborough Women's Aid",
            "Leicestershire Children's Social Care",
            "North West Leicestershire District Council Housing",
        )
    ]
    held = timezone.now().replace(hour=10, minute=0, second=0, microsecond=0) - timedelta(days=190)
    case = Case.objects.get(area=area, referrals__status="accepted", referrals__submitted_on__lt=held.date())  # Sarah Mitchell
    with _on(held - timedelta(days=28)):
        meeting = meetings.meeting_schedule(
            area=area,
            starts_at=held,
            venue=VENUE,
            online=False,
            chair=chair,
            coordinator=coordinator,
            agencies=invited,
            by=coordinator,
        )
        meetings.agenda_add(meeting=meeting, case=case, because="made_cutoff", by=coordinator)
    with _on(held - timedelta(days=14)):
        meetings.agenda_issue(meeting=meeting, by=coordinator)
    csc = agencies["Leicestershire Children's Social Care"]
    with _on(held - timedelta(days=6)):
        meetings.confidentiality_accept(meeting=meeting, user=rep, agency=csc)
        meetings.research_save(
            meeting=meeting,
            case=case,
            agency=csc,
            facts="Mia (7) on a child in need plan since March.",
            opinion="Mia's worries are growing; contact handovers are the main risk.",
            not_shared="Mia's health records: no consent and not needed for safety planning.",
            by=rep,
            expected_version=0,
        )
    with _on(held):
        _hold(meeting, case, agencies, chair, held)
    with _on(held + timedelta(days=2)):
        minutes = meetings.minutes_issue(meeting=meeting, by=chair).minutes.get(case=case)
    with _on(held + timedelta(days=9)):
        meetings.addendum_add(minutes=minutes, text="Correction: the police call-outs were four, not three.", by=chair)


def _hold(meeting, case, agencies, chair, held) -> None:
    """The meeting itself: started, the register taken, minutes and actions recorded, ended."""
    meetings.meeting_advance(meeting=meeting, by=chair)
    meetings.attendance_register(meeting=meeting, present=set(meeting.attendances.values_list("pk", flat=True)), by=chair)
    meetings.minutes_save(meeting=meeting, case=case, by=chair, expected_version=0, **MINUTES)
    for agency, owner, text, due_in, status, note in ACTIONS:
        action = meetings.action_add(
            meeting=meeting,
            case=case,
            agency=agencies[agency],
            owner=owner,
            description=text,
            due_on=held.date() + timedelta(days=due_in),
            by=chair,
            held_before_go_live=True,  # the owners are named in words, as in minutes brought in from before
        )
        if status != "open" or note:
            meetings.action_update(action=action, status=status, note=note, by=chair)
    meetings.meeting_advance(meeting=meeting, by=chair)


def _on(moment):
    """The clock set to `moment` while the services record what happened then. time-machine is a
    development dependency, as is this command (it refuses to run in production)."""
    import time_machine

    return time_machine.travel(moment, tick=False)


def _upcoming_meeting(area, agencies, people) -> None:
    coordinator, chair = people["coordinator"], people["chair"]
    invited = [
        agencies[name]
        for name in (
            "Leicestershire Police",
            "Loughborough Women's Aid",
            "Leicestershire Children's Social Care",
            "Leicestershire Partnership NHS Trust",
        )
    ]
    starts = (timezone.now() + timedelta(days=14)).replace(hour=10, minute=0, second=0, microsecond=0)
    meeting = meetings.meeting_schedule(
        area=area,
        starts_at=starts,
        venue=VENUE,
        online=True,
        chair=chair,
        coordinator=coordinator,
        agencies=invited,
        by=coordinator,
    )
    meetings.agenda_build(meeting=meeting, by=coordinator)
    meetings.agenda_issue(meeting=meeting, by=coordinator)
