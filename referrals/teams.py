"""Case teams (issue 17, ADR 0019): who works a case for the agency that referred it.

A worker reads a case as its referrer (Rel.REFERRER) only while allocated to it and holding a
referrer membership at its agency in its area (referrals.access.referrer_cases). The worker who
makes a case is on it from the start; the agency's team lead allocates, reallocates and sets
cover for absence. Allocations are never deleted: they end, so who was on a case stays known.
Each change is logged, and the worker put on a case is told (content-free, marac.notices).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

import audit
from marac.models import Membership, NoticeKind, Role, User
from marac.notices import notify
from marac.viewer import Viewer
from referrals.models import Case, CaseAllocation, Referral

# Referrals that reached the coordinator, whatever was decided: the team page's "referred on".
SUBMITTED = (Referral.Status.SUBMITTED, Referral.Status.MORE_INFO, Referral.Status.ACCEPTED, Referral.Status.DECLINED)


def allocation_referring_worker(*, case: Case, by: User) -> CaseAllocation | None:
    """The worker who makes a case is on it from the first moment (called by case_create, inside
    its transaction; its `case_created` entry records who made it), through their referrer
    membership at its agency in its area. Someone making it under no such membership gets no
    allocation: it would never give them anything (AllocationQuerySet.justified)."""
    membership = referrer_membership(user=by, case=case)
    if membership is None:
        return None
    return CaseAllocation.objects.create(
        case=case, user=by, membership=membership, kind=CaseAllocation.Kind.REFERRING, allocated_by=by, starts_on=timezone.localdate()
    )


def referrer_membership(*, user: User, case: Case) -> Membership | None:
    """The person's active referrer membership at the case's agency in its area: what an
    allocation is linked to and lasts only as long as."""
    return Membership.objects.filter(
        user=user, role=Role.REFERRER, is_active=True, area_id=case.area_id, agency_id=case.referring_agency_id
    ).first()


def team_workers(*, case: Case) -> QuerySet[User]:
    """Who may be put on a case: active accounts holding an active referrer membership at its
    agency in its area. Anyone else would get nothing from an allocation, so is never offered."""
    workers = Membership.objects.filter(
        role=Role.REFERRER, is_active=True, area_id=case.area_id, agency_id=case.referring_agency_id
    ).values("user_id")
    return User.objects.filter(pk__in=workers, is_active=True).order_by("first_name", "last_name", "username")


def _must_lead_team(by: User, case: Case) -> None:
    """The getter lets only the case's agency's team lead in its area reach it; the service checks again."""
    leads = Membership.objects.filter(
        user=by, role=Role.TEAM_LEAD, is_active=True, area_id=case.area_id, agency_id=case.referring_agency_id
    )
    if not (by.is_active and leads.exists()):
        raise ValidationError("Only the team lead of this agency in this area can change who is on the case")


@transaction.atomic
def allocation_add(*, case: Case, user: User, kind: str, until: date | None, by: User) -> CaseAllocation:
    """Put a worker on a case: allocated until ended, or cover until `until` (its last day).
    Refuses a worker who is not a referrer of the case's agency in its area, and one already on it."""
    case = Case.objects.select_for_update().get(pk=case.pk)  # serialises with a transfer or erasure
    if case.is_shredded:
        raise ValidationError("This case has been erased")
    _must_lead_team(by, case)
    membership = referrer_membership(user=user, case=case)
    if membership is None or not user.is_active:
        raise ValidationError("Choose a worker who refers for this agency in this area")
    today = timezone.localdate()
    if kind == CaseAllocation.Kind.COVER and (until is None or until < today):
        raise ValidationError("Give the last day of cover, today or later")
    if kind != CaseAllocation.Kind.COVER:
        kind, until = CaseAllocation.Kind.ALLOCATED, None
    if CaseAllocation.objects.current(today).filter(case=case, user=user).exists():
        raise ValidationError("This worker is already on the case")
    allocation = CaseAllocation(case=case, user=user, membership=membership, kind=kind, allocated_by=by, starts_on=today, until=until)
    allocation.full_clean()
    allocation.save()
    audit.record(event="case_allocated", user=by, case_reference=case.reference, purpose=f"{kind} to user {user.pk}")
    notify(
        kind=NoticeKind.CASE_ALLOCATED,
        subject_key=f"allocation:{allocation.pk}",
        users=[user],
        url=reverse("allocation-open", args=[allocation.pk]),
        by=by,
        area_id=case.area_id,
        agency_ids=[case.referring_agency_id],
    )
    return allocation


@transaction.atomic
def allocation_end(*, allocation: CaseAllocation, by: User) -> CaseAllocation:
    """Take a worker off a case from now. The row stays, with who ended it and when."""
    # The case first, then the allocation, as allocation_add and transfer_accept take them: in
    # the other order two of them could each hold the lock the other waits for.
    case = Case.objects.select_for_update().get(pk=allocation.case_id)
    allocation = CaseAllocation.objects.select_for_update().get(pk=allocation.pk)
    allocation.case = case
    if allocation.ended_at is not None:
        raise ValidationError("This allocation has already ended")
    _must_lead_team(by, case)
    allocation.ended_at, allocation.ended_by = timezone.now(), by
    allocation.save(update_fields=["ended_at", "ended_by"])
    audit.record(
        event="case_allocation_ended",
        user=by,
        case_reference=case.reference,
        purpose=f"{allocation.kind} of user {allocation.user_id}",
    )
    return allocation


def allocations_end_all(*, case: Case, by: User, purpose: str) -> list[int]:
    """End everyone's allocation to a case (a transfer accepted elsewhere), one event per worker
    so the log says who lost the case (ids, no names). Called inside the caller's transaction,
    with the case row locked. Returns the ids of the workers taken off it."""
    ended = list(CaseAllocation.objects.select_for_update().filter(case=case, ended_at=None).order_by("pk"))
    now = timezone.now()
    for allocation in ended:
        allocation.ended_at, allocation.ended_by = now, by
        allocation.save(update_fields=["ended_at", "ended_by"])
        audit.record(
            event="case_allocations_ended",
            user=by,
            case_reference=case.reference,
            purpose=f"{purpose}: {allocation.kind} of user {allocation.user_id}",
        )
    return [allocation.user_id for allocation in ended]


def allocations_end_for_membership(*, membership: Membership) -> int:
    """A membership saved inactive, or no longer a referrer's at an allocated case's agency and
    area (left, moved by an administrator): its allocations end for good, so rejoining, or being
    moved back, gives nothing back without a new allocation and its event. Called on every save
    of a membership (referrals.apps); access already stopped in SQL the moment it changed."""
    live = CaseAllocation.objects.filter(membership=membership, ended_at=None).select_related("case")
    ended = 0
    for allocation in live:
        if _still_justified(membership, allocation):
            continue
        allocation.ended_at = timezone.now()
        allocation.save(update_fields=["ended_at"])
        audit.record(
            event="case_allocation_ended",
            user=allocation.user,
            case_reference=allocation.case.reference,
            purpose=f"membership {membership.pk} ended: {allocation.kind} of user {allocation.user_id}",
        )
        ended += 1
    return ended


def _still_justified(membership: Membership, allocation: CaseAllocation) -> bool:
    case = allocation.case
    return (
        membership.is_active
        and membership.role == Role.REFERRER
        and membership.user_id == allocation.user_id
        and (membership.area_id, membership.agency_id) == (case.area_id, case.referring_agency_id)
    )


def case_team(case: Case) -> QuerySet[User]:
    """The workers allocated to a case today (whom a referral's decision is told)."""
    return User.objects.filter(pk__in=CaseAllocation.objects.current().filter(case=case).values("user_id"))


def current_allocations(case: Case) -> list[CaseAllocation]:
    return list(CaseAllocation.objects.current().filter(case=case).select_related("user").order_by("starts_on", "pk"))


# The team lead's page


def team_cases(viewer: Viewer) -> QuerySet[Case]:
    """The live cases of the agencies the person leads a team for, in those areas: references,
    statuses and dates only. Nobody's allocation is needed to list them; reading one is."""
    theirs = Q(pk__in=[])
    for area_id, agency_id in sorted(viewer.pairs_for(Role.TEAM_LEAD)):
        theirs |= Q(area_id=area_id, referring_agency_id=agency_id)
    return Case.objects.filter(theirs).exclude(status=Case.Status.SHREDDED)


def unallocated(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.exclude(Exists(CaseAllocation.objects.current().filter(case=OuterRef("pk"))))


def team_rows(cases: QuerySet[Case]) -> QuerySet[Case]:
    """Nobody allocated first, then newest: one query for a page, with the last referral date and
    the number of people on each case worked out in SQL."""
    on_case = CaseAllocation.objects.current().filter(case=OuterRef("pk"))
    return (
        cases.select_related("area", "referring_agency")
        .annotate(
            staffed=Exists(on_case),
            referred_on=Max("referrals__submitted_on", filter=Q(referrals__status__in=SUBMITTED)),
        )
        .order_by("staffed", "-created_at", "-pk")
    )


def allocations_by_case(case_ids: list[int]) -> dict[int, list[CaseAllocation]]:
    """The current allocations of a page of cases, in one query."""
    found: dict[int, list[CaseAllocation]] = {}
    for allocation in CaseAllocation.objects.current().filter(case_id__in=case_ids).select_related("user").order_by("starts_on", "pk"):
        found.setdefault(allocation.case_id, []).append(allocation)
    return found


def unallocated_count(viewer: Viewer) -> int:
    return unallocated(team_cases(viewer)).aggregate(n=Count("pk"))["n"]
