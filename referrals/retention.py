"""Retention with legal hold (issue 18, DESIGN 2.6, ADR 0027): which cases are due for erasure,
legal holds that stop it, and erasure confirmed by a second person.

- A case is due for erasure when it is closed (not erased), its last closure is at least the
  area's `retention_months` before today, no legal hold is in force and no referral on it is open.
  An area without a period has nothing due (no national period exists, so none is assumed) and
  its coordinators are told the period is missing. Worked out in SQL: nothing is decrypted.
- A legal hold (homicide review, litigation, subject access request), placed and lifted by the
  area's coordinator or chair, blocks erasure: asking for it and confirming it.
- Erasure is asked by one coordinator and confirmed by a different coordinator or chair of the
  case's area (never the asker, whatever other memberships they hold). Confirming re-checks,
  under the case's row lock, that the case is still due, has no hold and is still in the area it
  was asked in, then shreds it (referrals.services.case_shred) in the same transaction.

Lock order everywhere here: the case row, then the hold or request row. Closing, reopening and
placing a hold lock the case row too, so a confirmation and any of them never interleave.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

import audit
from marac.models import MaracArea, Membership, NoticeKind, Role, User
from marac.notices import notify
from marac.periods import add_months
from marac.refusals import refuse
from marac.viewer import Viewer, ViewerRequest
from referrals import services
from referrals.conversation import TEXT_LIMIT
from referrals.models import (
    Case,
    CaseStatusChange,
    CaseTransfer,
    ErasureRequest,
    Incident,
    LegalHold,
    Referral,
    RiskAssessment,
    ToolAssessment,
)

# Who places and lifts holds and confirms an erasure; only a coordinator asks for one.
DECIDERS = (Role.COORDINATOR, Role.CHAIR)
# A referral not yet decided, or one being written: the case is still being worked.
OPEN_REFERRAL = (Referral.Status.DRAFT, Referral.Status.SUBMITTED, Referral.Status.MORE_INFO)

Ask = ErasureRequest


# --- Due for erasure (SQL) ----------------------------------------------------------------------


def _last_closed_at() -> Subquery:
    closures = CaseStatusChange.objects.filter(case=OuterRef("pk"), kind=CaseStatusChange.Kind.CLOSED).order_by("-at", "-pk")
    return Subquery(closures.values("at")[:1])


def hold_in_force() -> Exists:
    return Exists(LegalHold.objects.filter(case=OuterRef("pk"), lifted_at=None))


def _start_of_day_after(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def closed_long_enough(areas: Iterable[MaracArea], today: date) -> Q:
    """Per area with a period, a closure on or before `today` less the period. The areas are few
    (one condition each), the cases many: the dates are worked out here, the cases in SQL."""
    due = Q(pk__in=[])
    for area in areas:
        if area.retention_months is not None:
            cutoff = add_months(today, -area.retention_months)
            due |= Q(area_id=area.pk, last_closed_at__lt=_start_of_day_after(cutoff))
    return due


def closed_cases(areas: Iterable[MaracArea]) -> QuerySet[Case]:
    """Closed, unerased cases in `areas`, each with `last_closed_at` and `on_hold`."""
    ids = [area.pk for area in areas]
    return (
        Case.objects.filter(area_id__in=ids, status=Case.Status.CLOSED)
        .annotate(last_closed_at=_last_closed_at(), on_hold=hold_in_force())
        .select_related("area")
    )


def worked_since_closed() -> Q:
    """A referral open, or worked on since the last closure: a risk checklist being written (a new
    referral on its way: referrals are made from a checklist, never drafted) or an incident that
    happened since. Erasing then would destroy the work and the history a repeat referral needs."""
    since = TruncDate(ExpressionWrapper(OuterRef("last_closed_at"), output_field=DateTimeField()))
    open_referral = Exists(Referral.objects.filter(case=OuterRef("pk"), status__in=OPEN_REFERRAL))
    drafting = Exists(RiskAssessment.objects.filter(case=OuterRef("pk"), status=RiskAssessment.Status.DRAFT, assessed_on__gte=since))
    incident = Exists(Incident.objects.filter(case=OuterRef("pk"), occurred_on__gte=since))
    # An assessment made with another risk tool recorded since (ADR 0024): a referral on its way
    # too, as a police DARA is referred without a checklist.
    other_tool = Exists(ToolAssessment.objects.filter(case=OuterRef("pk"), recorded_at__gte=OuterRef("last_closed_at")))
    return Q(open_referral) | Q(drafting) | Q(incident) | Q(other_tool)


def due_for_erasure(areas: Iterable[MaracArea], *, today: date) -> QuerySet[Case]:
    """The cases in `areas` due for erasure today, oldest closure first, in one query."""
    areas = list(areas)
    return (
        closed_cases(areas)
        .filter(closed_long_enough(areas, today), Q(on_hold=False))
        .exclude(worked_since_closed())
        .order_by("last_closed_at", "pk")
    )


def due_since(case: Any) -> date:
    """The day a case (annotated by closed_cases, so typed Any) became due: its last closure plus
    the period. Only for a case in an area with a period."""
    return add_months(timezone.localtime(case.last_closed_at).date(), case.area.retention_months)


def why_not_due(case: Case, *, today: date) -> str:
    """Why `case` is not due for erasure today, or "" when it is: said to the coordinator who
    asks or confirms. References and dates only."""
    case = Case.objects.select_related("area").get(pk=case.pk)
    if case.is_shredded:
        return "This case has been erased already"
    if case.status != Case.Status.CLOSED:
        return "This case is open: only a closed case can be erased"
    if case.area.retention_months is None:
        return f"{case.area.name} has no retention period set, so no case there is due for erasure"
    if LegalHold.objects.filter(case=case, lifted_at=None).exists():
        return "A legal hold is in force on this case: it cannot be erased until the hold is lifted"
    if case.referrals.filter(status__in=OPEN_REFERRAL).exists():
        return "A referral on this case is open: it cannot be erased while it is being worked on"
    shown: Any = closed_cases([case.area]).get(pk=case.pk)  # annotated with last_closed_at
    closed_on = timezone.localtime(shown.last_closed_at).date() if shown.last_closed_at else None
    if closed_on and case.assessments.filter(status=RiskAssessment.Status.DRAFT, assessed_on__gte=closed_on).exists():
        return "A risk checklist has been started on this case since it closed: it cannot be erased while a referral is on its way"
    if shown.last_closed_at and case.tool_assessments.filter(recorded_at__gte=shown.last_closed_at).exists():
        return "An assessment made with another risk tool has been recorded on this case since it closed: a referral may be on its way"
    if closed_on and case.incidents.filter(occurred_on__gte=closed_on).exists():
        return "An incident since the case closed is recorded on it: reopen it or refer it again rather than erase it"
    if shown.last_closed_at is None or not due_for_erasure([case.area], today=today).filter(pk=case.pk).exists():
        since = due_since(shown) if shown.last_closed_at else None
        return f"This case is not due for erasure until {since.day} {since:%B %Y}" if since else "This case has never been closed"
    return ""


def areas_without_period(areas: Iterable[MaracArea]) -> list[MaracArea]:
    return [area for area in areas if area.retention_months is None]


# --- Who may do what --------------------------------------------------------------------------


def _holds_role(user: User | int, area_id: int, roles: tuple[str, ...]) -> bool:
    """Worked out afresh from the database, not from a request's viewer: a service must hold
    whoever calls it, a command or a task included."""
    return Membership.objects.filter(user=user, user__is_active=True, area_id=area_id, role__in=roles, is_active=True).exists()


def _area_people(area_id: int, roles: tuple[str, ...]) -> QuerySet[User]:
    members = Membership.objects.filter(area_id=area_id, role__in=roles, is_active=True).values("user_id")
    return User.objects.filter(pk__in=members, is_active=True)


# --- Legal holds --------------------------------------------------------------------------------


@transaction.atomic
def hold_place(*, case: Case, kind: str, reason: str, by: User, request=None) -> LegalHold:
    """Place a legal hold on a case: from now it is never due for erasure, and any erasure asked
    for it cannot be confirmed. The area's coordinator or chair only; the reason is required."""
    case = Case.objects.select_for_update().select_related("data_key").get(pk=case.pk)
    if not _holds_role(by, case.area_id, DECIDERS):
        raise PermissionDenied
    if case.is_shredded:
        raise ValidationError("This case has been erased: there is nothing left to hold")
    if kind not in LegalHold.Kind.values:
        raise ValidationError("Choose what the hold is for")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the hold is placed: the review, claim or request it is for")
    if len(reason) > TEXT_LIMIT:
        raise ValidationError(f"The reason must be {TEXT_LIMIT} characters or fewer")
    hold = LegalHold(case=case, kind=kind, reason=reason, placed_by=by)
    hold.full_clean(exclude=[f.name for f in LegalHold.encrypted_fields()])
    hold.save()
    audit.record(
        event="legal_hold_placed", user=by, request=request, case_reference=case.reference, fields=["legal_hold.reason"], purpose=kind
    )
    # An erasure waiting for a second person lapses now, not when someone comes to confirm it: a
    # hold lifted later must not bring back an ask made before it (it is asked for again, if due).
    for ask in Ask.objects.select_for_update().filter(case=case, status=Ask.Status.PENDING):
        ask.status, ask.decided_by, ask.decided_at = Ask.Status.LAPSED, by, timezone.now()
        ask.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            event="erasure_lapsed", user=by, request=request, case_reference=case.reference, purpose=f"request {ask.pk}; legal hold placed"
        )
    return hold


@transaction.atomic
def hold_lift(*, hold: LegalHold, lift_reason: str, by: User, request=None) -> LegalHold:
    """Lift a hold in force, with a coded reason. The case becomes due again if its time has come."""
    case = Case.objects.select_for_update().get(pk=hold.case_id)
    hold = LegalHold.objects.select_for_update().select_related("case__data_key").get(pk=hold.pk)
    if not _holds_role(by, case.area_id, DECIDERS):
        raise PermissionDenied
    if hold.lifted_at is not None:
        raise ValidationError("This hold has been lifted already")
    if lift_reason not in LegalHold.LiftReason.values:
        raise ValidationError("Choose why the hold is lifted")
    hold.lifted_by, hold.lifted_at, hold.lift_reason = by, timezone.now(), lift_reason
    hold.save()
    audit.record(
        event="legal_hold_lifted", user=by, request=request, case_reference=case.reference, purpose=f"hold {hold.pk}; {lift_reason}"
    )
    return hold


def holds_in_force(areas: Iterable[int]) -> QuerySet[LegalHold]:
    """Holds in force on cases in `areas` (codes and dates only are shown from these)."""
    return (
        LegalHold.objects.filter(case__area_id__in=list(areas), lifted_at=None)
        .exclude(case__status=Case.Status.SHREDDED)
        .select_related("case", "placed_by")
        .order_by("placed_at", "pk")
    )


# --- Two-person erasure -------------------------------------------------------------------------


@transaction.atomic
def erasure_ask(*, case: Case, by: User, request=None) -> ErasureRequest:
    """A coordinator of the case's area asks for a case due for erasure to be erased. Nothing is
    erased until a different coordinator or chair of the area confirms; they are told (ids only)."""
    case = Case.objects.select_for_update().get(pk=case.pk)
    if not _holds_role(by, case.area_id, (Role.COORDINATOR,)):
        raise PermissionDenied
    problem = why_not_due(case, today=timezone.localdate())
    if problem:
        raise ValidationError(problem)
    if Ask.objects.filter(case=case, status=Ask.Status.PENDING).exists():
        raise ValidationError("Erasure of this case has been asked for already: it is waiting for a second person")
    ask = Ask.objects.create(case=case, area_id=case.area_id, asked_by=by)
    audit.record(event="erasure_requested", user=by, request=request, case_reference=case.reference, purpose=f"request {ask.pk}")
    notify(
        kind=NoticeKind.ERASURE_TO_CONFIRM,
        subject_key=f"erasure_request:{ask.pk}",
        users=_area_people(case.area_id, DECIDERS),
        url=reverse("erasure-confirm", args=[ask.pk]),
        by=by,  # never the asker: they cannot confirm it
        area_id=case.area_id,
    )
    return ask


@dataclass(frozen=True)
class Confirmed:
    """What became of a confirmation: `refusal` says why the case was not erased ("" if it was)."""

    ask: ErasureRequest
    refusal: str = ""


def erasure_confirm(*, ask: ErasureRequest, by: User, request=None) -> ErasureRequest:
    """A second person, a coordinator or chair of the case's area other than the asker, confirms:
    the case is shredded in the same transaction. Re-checked under the case's row lock: still
    waiting, still in the area asked in, still due (no hold, not reopened). A case no longer due
    closes the ask as lapsed (kept, and logged) and raises ValidationError saying why."""
    if ask.asked_by_id == by.pk:
        audit.record(
            event="erasure_confirm_denied",
            user=by,
            request=request,
            case_reference=ask.case.reference,
            purpose=f"confirm their own erasure request {ask.pk}",
            outcome="denied",
        )
        raise PermissionDenied("The person who asked cannot confirm: another coordinator or the chair must")
    result = _confirm_locked(ask=ask, by=by, request=request)
    if result.refusal:  # raised after the lapse is committed: the ask is closed and the refusal kept
        raise ValidationError(result.refusal)
    return result.ask


@transaction.atomic
def _confirm_locked(*, ask: ErasureRequest, by: User, request) -> Confirmed:
    case = Case.objects.select_for_update().get(pk=ask.case_id)
    ask = Ask.objects.select_for_update().get(pk=ask.pk)
    if ask.asked_by_id == by.pk:  # not reached from the view; guards any other caller
        raise PermissionDenied
    if not _holds_role(by, ask.area_id, DECIDERS):
        raise PermissionDenied
    if ask.status != Ask.Status.PENDING:
        raise ValidationError(f"This request is no longer waiting: {ask.get_status_display().lower()}")
    problem = "The case has been transferred to another area since erasure was asked for" if case.area_id != ask.area_id else ""
    problem = problem or _changed_since_asked(case, ask) or why_not_due(case, today=timezone.localdate())
    ask.decided_by, ask.decided_at = by, timezone.now()
    if problem:
        ask.status = Ask.Status.LAPSED
        ask.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(
            event="erasure_lapsed", user=by, request=request, case_reference=case.reference, purpose=f"request {ask.pk}; {problem}"
        )
        return Confirmed(ask, problem)
    ask.status = Ask.Status.CONFIRMED
    ask.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(
        event="erasure_confirmed",
        user=by,
        request=request,
        case_reference=case.reference,
        purpose=f"request {ask.pk}, asked by user {ask.asked_by_id}",
    )
    services.case_shred(case=case, by=by)
    return Confirmed(ask)


def _changed_since_asked(case: Case, ask: ErasureRequest) -> str:
    """Why the ask no longer stands although the case may be due again: the two people must agree
    on the case as it is now. A hold placed (even if lifted since), a reopening or closing, or a
    transfer away and back since the ask, or an asker who no longer coordinates the area (their
    membership ended: the confirmer alone would decide), each make it lapse; it is asked again."""
    if LegalHold.objects.filter(case=case, placed_at__gte=ask.asked_at).exists():
        return "A legal hold has been placed on this case since erasure was asked for: ask again if it is due"
    if CaseStatusChange.objects.filter(case=case, at__gte=ask.asked_at).exists():
        return "This case has been reopened or closed since erasure was asked for: ask again if it is due"
    if case.transfers.filter(status=CaseTransfer.Status.ACCEPTED, decided_at__gte=ask.asked_at).exists():
        return "The case has been transferred since erasure was asked for: ask again if it is due"
    if not _holds_role(ask.asked_by_id, ask.area_id, (Role.COORDINATOR,)):
        return "The person who asked no longer coordinates this area: another coordinator must ask again"
    return ""


@transaction.atomic
def erasure_withdraw(*, ask: ErasureRequest, by: User, request=None) -> ErasureRequest:
    """The asker, or another coordinator or chair of the area, withdraws an ask still waiting."""
    Case.objects.select_for_update().filter(pk=ask.case_id).exists()
    ask = Ask.objects.select_for_update().select_related("case").get(pk=ask.pk)
    if ask.asked_by_id != by.pk and not _holds_role(by, ask.area_id, DECIDERS):
        raise PermissionDenied
    if ask.status != Ask.Status.PENDING:
        raise ValidationError(f"This request is no longer waiting: {ask.get_status_display().lower()}")
    ask.status, ask.decided_by, ask.decided_at = Ask.Status.WITHDRAWN, by, timezone.now()
    ask.save(update_fields=["status", "decided_by", "decided_at"])
    audit.record(event="erasure_withdrawn", user=by, request=request, case_reference=ask.case.reference, purpose=f"request {ask.pk}")
    return ask


def waiting_for_second_person(areas: Iterable[int]) -> QuerySet[ErasureRequest]:
    return (
        Ask.objects.filter(area_id__in=list(areas), status=Ask.Status.PENDING)
        .select_related("case", "asked_by", "area")
        .order_by("asked_at", "pk")
    )


def erasure_request_get_for_decider(request: ViewerRequest, pk: int, *, purpose: str) -> ErasureRequest:
    """An erasure request waiting in an area the person coordinates or chairs, or Http404
    (logged): anyone else, another area's coordinator included, cannot tell it exists."""
    areas = request.viewer.areas_for(*DECIDERS)
    ask = Ask.objects.filter(pk=pk, area_id__in=areas).select_related("case", "asked_by", "area").first()
    if ask is None:
        refuse(request, status=404, event="erasure_request_denied", purpose=f"{purpose} (request {pk})")
    return ask


# --- The scheduled review -----------------------------------------------------------------------


@dataclass(frozen=True)
class AreaReview:
    area: MaracArea
    due: list[Case]  # not yet asked for; annotated with last_closed_at; due_since() gives the day each became due
    holds: list[LegalHold]
    waiting: list[ErasureRequest]


def review(areas: Iterable[MaracArea], *, today: date) -> list[AreaReview]:
    """Per area: the cases due, the holds in force and the asks waiting. Three queries."""
    areas = list(areas)
    ids = [area.pk for area in areas]
    due = list(due_for_erasure(areas, today=today))
    holds = list(holds_in_force(ids))
    waiting = list(waiting_for_second_person(ids))
    asked = {w.case_id for w in waiting}  # listed as waiting for a second person, not again as due
    return [
        AreaReview(
            area,
            [c for c in due if c.area_id == area.pk and c.pk not in asked],
            [h for h in holds if h.case.area_id == area.pk],
            [w for w in waiting if w.area_id == area.pk],
        )
        for area in areas
    ]


def scheduled_review(*, today: date | None = None) -> dict[str, int]:
    """The periodic review (referrals.tasks.review_retention): works out the cases due in every
    area and records, once per area and day, how many are due and how many areas have no period,
    as a system event (ids and counts only). Coordinators are shown the cases on their home page
    and the retention page; no notice kind says "cases are due for erasure" yet (ERASURE_TO_CONFIRM
    is for an ask waiting for a second person), so none is sent. Safe to run late or twice."""
    today = today or timezone.localdate()
    counts = {}
    with transaction.atomic():
        # Two runs at once (a retry, a second beat) take turns on the area rows, so the second sees
        # what the first recorded. NO KEY: a case or membership written meanwhile is not held up.
        areas = list(MaracArea.objects.select_for_update(no_key=True).order_by("pk"))
        for found in review(areas, today=today):
            counts[found.area.short_code] = len(found.due)
            once = f"retention review {today:%Y-%m-%d}: area {found.area.pk}, "  # the area and the day, whatever the counts
            purpose = once + (
                "no retention period set" if found.area.retention_months is None else f"{len(found.due)} due, {len(found.holds)} on hold"
            )
            if not _reviewed_already(once):
                audit.record(event="retention_reviewed", purpose=purpose)
    return counts


def _reviewed_already(once: str) -> bool:
    """Whether the area was reviewed that day already: a second run after a case was asked for,
    held or closed (so with other counts) records nothing more."""
    from audit.models import AccessEvent

    return AccessEvent.objects.filter(event="retention_reviewed", purpose__startswith=once).exists()


# --- The home page and the case page ------------------------------------------------------------


def register() -> None:
    """From ReferralsConfig.ready(): the work list items, and the case page's section."""
    from marac import worklist
    from referrals import sections
    from referrals.retention_views import case_section

    worklist.register(Role.COORDINATOR, coordinator_work)
    worklist.register(Role.CHAIR, chair_work)
    sections.add_to_case_page(case_section)


def coordinator_work(viewer: Viewer) -> list:
    """Two queries at most: the areas, and the asks waiting for someone else. The cases due are
    counted only when there is a period, in one more; an area without one is flagged instead."""
    from marac.worklist import WorkItem

    areas = list(MaracArea.objects.filter(pk__in=viewer.areas_for(Role.COORDINATOR)))
    if not areas:
        return []
    url = reverse("retention-review")
    items = [
        WorkItem("Set a retention period", None, url, f"{area.name} has none: no case there is ever due for erasure")
        for area in areas_without_period(areas)
    ]
    with_period = [area for area in areas if area.retention_months is not None]
    if with_period:
        due = due_for_erasure(with_period, today=timezone.localdate()).exclude(erasure_requests__status=Ask.Status.PENDING).count()
        items.append(WorkItem("Cases due for erasure", due, url, "closed longer ago than the area's retention period, with no legal hold"))
    return items + _to_confirm(viewer, {area.pk for area in areas})


def chair_work(viewer: Viewer) -> list:
    """Asks waiting in areas the person chairs without coordinating (counted once, under coordinating)."""
    return _to_confirm(viewer, viewer.areas_for(Role.CHAIR) - viewer.areas_for(Role.COORDINATOR))


def _to_confirm(viewer: Viewer, areas: set[int]) -> list:
    from marac.worklist import WorkItem

    if not areas:
        return []
    waiting = waiting_for_second_person(areas).exclude(asked_by=viewer.user).count()
    return [
        WorkItem("Erasures to confirm", waiting, reverse("retention-review"), "asked for by another coordinator: a second person confirms")
    ]
