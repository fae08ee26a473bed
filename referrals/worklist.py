"""What referrals puts on the home page's work list (marac.worklist), registered from
ReferralsConfig.ready(): the referrer's checklists, questions, decisions and re-assessments, and
the coordinator's triage queue. Each provider counts in SQL, in a fixed number of queries, only
among the cases the person's memberships give them; nothing is decrypted."""

from datetime import date, datetime, time, timedelta

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import Coalesce, Greatest
from django.urls import reverse
from django.utils import timezone

from marac import worklist
from marac.models import Role
from marac.viewer import Viewer
from marac.worklist import WorkItem
from referrals import emergency, selectors, teams, transfers
from referrals.access import referrer_cases, referrer_scope
from referrals.models import Case, Referral, RiskAssessment


def register() -> None:
    worklist.register(Role.REFERRER, referrer_work)
    worklist.register(Role.COORDINATOR, coordinator_work)
    worklist.register(Role.COORDINATOR, transfer_work)
    worklist.register(Role.TEAM_LEAD, team_lead_work)
    worklist.register(Role.COORDINATOR, emergency_work_coordinating)
    worklist.register(Role.CHAIR, emergency_work_chairing)


def plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def start_of_week(today: date) -> datetime:
    """Monday 00:00, local time, of the week holding `today`."""
    return timezone.make_aware(datetime.combine(today - timedelta(days=today.weekday()), time.min))


def reassessment_due_before(today: date, weeks: int) -> date:
    """An assessment before this day is more than `weeks` old today: a re-assessment is overdue."""
    return today - timedelta(weeks=weeks)


def referrer_work(viewer: Viewer) -> list[WorkItem]:
    """Three queries: the person's drafts, their agencies' referrals by state, stale checklists."""
    scope = referrer_scope(viewer)
    if scope is None:
        return []
    today = timezone.localdate()
    my_referrals = reverse("my-referrals")
    drafts = selectors.referrer_drafts(scope, viewer.user).count()
    referrals = selectors.referrer_referrals(scope).aggregate(
        questions=Count("pk", filter=Q(status=Referral.Status.MORE_INFO)),
        decided=Count(
            "pk",
            filter=Q(status__in=(Referral.Status.ACCEPTED, Referral.Status.DECLINED), decided_at__gte=start_of_week(today)),
        ),
    )
    due = reassessments_due(viewer, today)
    return [
        WorkItem(
            "Checklists in progress", drafts, my_referrals, plural(drafts, "checklist not yet referred", "checklists not yet referred")
        ),
        WorkItem(
            "Questions from the coordinator",
            referrals["questions"],
            f"{my_referrals}?status={Referral.Status.MORE_INFO}",
            "referrals waiting for more information from your agency",
        ),
        WorkItem("Referrals decided this week", referrals["decided"], my_referrals, "accepted or declined since Monday"),
        WorkItem("Risk re-assessments due", due, reverse("case-list"), reassessment_detail(viewer)),
    ]


def _reassessment_weeks(viewer: Viewer) -> dict[int, int]:
    """{area id: its re-assessment weeks} for the areas the person refers in, from the memberships
    the viewer already holds (areas loaded): no query."""
    return {m.area_id: m.area.reassessment_weeks for m in viewer.memberships if m.role == Role.REFERRER}


def reassessment_detail(viewer: Viewer) -> str:
    weeks = sorted(set(_reassessment_weeks(viewer).values()))
    period = f"{weeks[0]} weeks" if len(weeks) == 1 else "their area's re-assessment period"
    return f"open cases whose latest risk assessment is more than {period} old"


def reassessments_due(viewer: Viewer, today: date) -> int:
    """One query: open cases the person is allocated to whose latest risk assessment (a complete
    checklist, or one made with another risk tool, ADR 0024) is older than their area's
    re-assessment period, and with no new checklist already in progress."""
    weeks = _reassessment_weeks(viewer)
    if not weeks:
        return 0
    overdue = Q(pk__in=[])
    for area_id, area_weeks in sorted(weeks.items()):
        overdue |= Q(area_id=area_id, latest__lt=reassessment_due_before(today, area_weeks))
    checklist = Max("assessments__assessed_on", filter=Q(assessments__status=RiskAssessment.Status.COMPLETE))
    other_tool = Max("tool_assessments__assessed_on")
    return (
        Case.objects.filter(referrer_cases(viewer), status=Case.Status.OPEN)
        .annotate(checklist=checklist, other_tool=other_tool)
        # The later of the two, whichever is missing (Greatest is NULL with a NULL on SQLite).
        .annotate(latest=Greatest(Coalesce("checklist", "other_tool"), Coalesce("other_tool", "checklist")))
        .filter(overdue)
        .exclude(assessments__status=RiskAssessment.Status.DRAFT)
        .count()
    )


def coordinator_work(viewer: Viewer) -> list[WorkItem]:
    """One query: the triage queue's length and its oldest referral."""
    areas = viewer.areas_for(Role.COORDINATOR)
    waiting = selectors.triage_queue(areas).aggregate(count=Count("pk"), oldest=Min("submitted_on"))
    detail = ""
    if waiting["oldest"]:
        days = (timezone.localdate() - waiting["oldest"]).days
        detail = f"the oldest submitted {days} {plural(days, 'day', 'days')} ago"
    return [WorkItem("Referrals waiting for triage", waiting["count"], reverse("triage"), detail)]


def transfer_work(viewer: Viewer) -> list[WorkItem]:
    """One query: cases other areas offer to the person's areas, waiting for them (ADR 0019)."""
    offered = transfers.offers_to_decide(viewer).count()
    return [WorkItem("Transfers offered to your area", offered, reverse("transfer-offers"), "accept or decline each case")]


def team_lead_work(viewer: Viewer) -> list[WorkItem]:
    """One query: their team's live cases with nobody allocated (ADR 0019)."""
    nobody = teams.unallocated_count(viewer)
    return [WorkItem("Cases with nobody allocated", nobody, reverse("team-cases"), plural(nobody, "case to allocate", "cases to allocate"))]


def emergency_work_coordinating(viewer: Viewer) -> list[WorkItem]:
    return _emergency_requests_item(viewer, viewer.areas_for(Role.COORDINATOR))


def emergency_work_chairing(viewer: Viewer) -> list[WorkItem]:
    """Only the areas the person chairs without coordinating: a coordinator who also chairs sees
    each request counted once, under coordinating."""
    return _emergency_requests_item(viewer, viewer.areas_for(Role.CHAIR) - viewer.areas_for(Role.COORDINATOR))


def _emergency_requests_item(viewer: Viewer, areas: set[int]) -> list[WorkItem]:
    """One count query: asks for emergency access to the areas' cases waiting for a decision,
    not counting the person's own (nobody approves their own ask)."""
    if not areas:
        return []
    waiting = emergency.pending_for_approver(areas, excluding=viewer.user).count()
    detail = "from people in other areas; each lapses a day after it was made"
    return [WorkItem("Emergency access requests to decide", waiting, reverse("emergency-requests"), detail)]
