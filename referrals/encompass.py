"""Operation Encompass (statutory): when police attend a domestic abuse incident in a child's home,
the child's school's safeguarding lead is told before the next school day, so the school can
support the child that morning. Here, per child on a case: the school, when its safeguarding lead
was told and who told them (issue 18, item 6); whether that was in time, flagged on the case page;
the case owners' home work-list count of children whose school has not been told; and the service
that records it.

When the school was told is a plain timestamp column (the data return and the work list count it
in SQL); who told them is encrypted typed text. Both are shown only through the field policy
(marac/security/policy.py: ENCOMPASS_WHEN, ENCOMPASS_WHO).
"""

import functools
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import holidays
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

import audit
from marac import worklist
from marac.concurrency import StaleRecord
from marac.history import acting
from marac.models import Role, User
from marac.refusals import refuse
from marac.security.policy import Rel, Withheld, writable_fields
from marac.viewer import Viewer, ViewerRequest
from marac.worklist import WorkItem
from referrals import signals
from referrals.access import case_get_for_user, referrer_cases, refuse_unless
from referrals.models import Case, HouseholdMember, Incident, RiskAssessment

if TYPE_CHECKING:
    from referrals.case_page import Reads

MODEL = "referrals.householdmember"
FIELDS = ("school", "encompass_notified_at", "encompass_notified_by")
PURPOSE = "record operation encompass"
NOT_A_CHILD = "Operation Encompass is for children: this person is not recorded as under 18, so the notification was not saved"


# --- Before the next school day -----------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _bank_holidays(nation: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=nation, years=year))


def next_school_day(day: date, nation: str) -> date:
    """The first weekday after `day` that is not one of the nation's bank holidays. Schools' own
    holidays are not known here, so a school told on the first day back after half term shows as
    late: the flag asks the meeting to check, it does not decide."""
    day += timedelta(days=1)
    while day.weekday() >= 5 or day in _bank_holidays(nation, day.year):
        day += timedelta(days=1)
    return day


class Told(StrEnum):
    IN_TIME = "in_time"
    TOLD = "told"  # told, with no incident or checklist on the case to judge the timing by
    LATE = "late"
    DUE = "due"  # not told yet, and the next school day has not ended
    NOT_TOLD = "not_told"


@dataclass(frozen=True)
class EncompassCheck:
    status: Told
    prompted_on: date | None  # the incident (or checklist) that prompted it
    due_by: date | None  # the next school day after that

    @property
    def flagged(self) -> bool:
        return self.status in (Told.LATE, Told.NOT_TOLD)

    @property
    def message(self) -> str:
        due = f"{self.due_by.day} {self.due_by:%B %Y}" if self.due_by else ""
        return {
            Told.IN_TIME: f"Told in time (by {due}, the next school day)",
            Told.TOLD: "Told (no incident on the case to check the timing against)",
            Told.LATE: f"Told late: the next school day was {due}",
            Told.DUE: f"Not told yet: due by {due}",
            Told.NOT_TOLD: f"Not told: it was due by {due}" if due else "Not recorded that the school was told",
        }[self.status]


def encompass_check(told_at: datetime | None, prompts: list[date], *, nation: str, today: date) -> EncompassCheck:
    """Whether the school was told before the next school day after the incident that prompted it.
    The prompt is the latest incident (or completed checklist, which follows the incident a
    referral is made for) on or before the day the school was told, or the latest of all when it
    has not been told. "In time" is told on or before the next school day: the record holds the
    time, so the meeting can see whether it was before school started."""
    told_on = timezone.localtime(told_at).date() if told_at else None
    before = [d for d in prompts if told_on is None or d <= told_on]
    prompted_on = max(before) if before else None
    due_by = next_school_day(prompted_on, nation) if prompted_on else None
    if told_on is not None:
        if due_by is None:
            return EncompassCheck(Told.TOLD, None, None)
        return EncompassCheck(Told.IN_TIME if told_on <= due_by else Told.LATE, prompted_on, due_by)
    if due_by is not None and today <= due_by:
        return EncompassCheck(Told.DUE, prompted_on, due_by)
    return EncompassCheck(Told.NOT_TOLD, prompted_on, due_by)


# --- The case page ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildShown:
    pk: int
    name: Any
    school: Any
    told_at: Any  # datetime, None, or Withheld
    told_by: Any
    check: EncompassCheck | None  # None when the reader may not read when the school was told


@dataclass(frozen=True)
class ChildrenShown:
    children: list[ChildShown]
    may_record: bool  # the reader may record the school and the notification

    @property
    def flagged(self) -> int:
        return sum(1 for child in self.children if child.check and child.check.flagged)


def children_shown(
    case: Case, reads: "Reads", *, incidents: list[Incident], assessments: list[RiskAssessment], today: date
) -> ChildrenShown:
    """The children on a case with their school and Operation Encompass notification, through the
    field policy (each field shown is logged through `reads`), and whether it was in time. One query."""
    prompts = [i.occurred_on for i in incidents] + [a.assessed_on for a in assessments if a.status == RiskAssessment.Status.COMPLETE]
    shown = []
    for member in case.household.filter(is_child=True).order_by("pk"):
        member.case = case  # its data key is loaded already
        view = reads.view(member, "household.")
        told_at = view.encompass_notified_at
        check = None if isinstance(told_at, Withheld) else encompass_check(told_at, prompts, nation=case.area.nation, today=today)
        shown.append(ChildShown(member.pk, view.name, view.school, told_at, view.encompass_notified_by, check))
    return ChildrenShown(shown, may_record(reads.relationships))


def may_record(relationships) -> bool:
    return "encompass_notified_at" in writable_fields(MODEL, relationships)


# --- Recording it -------------------------------------------------------------------------------


def member_get_for_owner(request: ViewerRequest, reference: str, member_id: int) -> tuple[Case, HouseholdMember, set[Rel]]:
    """A household member of a case the person may record Operation Encompass on: 404 (logged)
    without a relationship to the case or for a member of another case, 403 (logged) for someone
    who may see the case but not write this."""
    case, relationships = case_get_for_user(request, reference, purpose=PURPOSE)
    refuse_unless(not case.is_shredded and may_record(relationships), request, case, event="encompass_record_denied", purpose=PURPOSE)
    member = HouseholdMember.objects.filter(case=case, pk=member_id).first()
    if member is None:
        refuse(
            request, status=404, event="case_access_denied", purpose=f"{PURPOSE} (household member {member_id})", case_reference=reference
        )
    member.case = case
    return case, member, relationships


@transaction.atomic
def encompass_record(
    *, member: HouseholdMember, school: str, notified_at: datetime | None, notified_by: str, expected_version: int, by: User
) -> HouseholdMember:
    """Record a child's school and when its safeguarding lead was told under Operation Encompass,
    and by whom. Refused: a notification for someone not recorded as a child, a time in the
    future, a time without who told them or the other way round; StaleRecord when someone else
    saved since `expected_version` (marac.concurrency). History keeps each change; the access log
    names the fields changed, never their values."""
    case = Case.objects.select_for_update().get(pk=member.case_id)  # serialises with erasure
    if case.is_shredded:
        raise ValidationError("This case's records were erased, so nothing was saved")
    member = HouseholdMember.objects.select_for_update().select_related("case__data_key").get(pk=member.pk)
    if member.row_version != expected_version:
        raise StaleRecord
    notified_by, school = notified_by.strip(), school.strip()
    if notified_at is not None and not member.is_child:
        raise ValidationError(NOT_A_CHILD)
    if notified_at is not None and notified_at > timezone.now():
        raise ValidationError("The time the school was told must be now or in the past")
    if (notified_at is None) != (not notified_by):
        raise ValidationError("Give both when the school's safeguarding lead was told and who told them, or neither")
    new = {"school": school, "encompass_notified_at": notified_at, "encompass_notified_by": notified_by}
    changed = [name for name, value in new.items() if getattr(member, name) != value]
    if not changed:
        return member
    for name in changed:
        setattr(member, name, new[name])
    member.full_clean(exclude=[f.name for f in HouseholdMember.encrypted_fields()])
    acting(member, by).save()
    audit.record(event="encompass_recorded", user=by, case_reference=member.case.reference, fields=changed, purpose="update record")
    signals.case_changed.send(sender=Case, case_id=member.case_id)
    return member


# --- The home page's work list ------------------------------------------------------------------


def register() -> None:
    worklist.register(Role.REFERRER, referrer_work)
    worklist.register(Role.COORDINATOR, coordinator_work)


def _not_told(scope: Q) -> int:
    """One count: children on open cases in `scope` whose school has not been told. Nothing decrypted."""
    return HouseholdMember.objects.filter(scope, is_child=True, encompass_notified_at__isnull=True, case__status=Case.Status.OPEN).count()


def _item(count: int) -> list[WorkItem]:
    detail = "children on open cases; the school's safeguarding lead is told before the next school day"
    return [WorkItem("Schools not told (Operation Encompass)", count, reverse("case-list"), detail)]


def referrer_work(viewer: Viewer) -> list[WorkItem]:
    """Children on the open cases the person is allocated to."""
    if not viewer.pairs_for(Role.REFERRER):
        return []
    return _item(_not_told(referrer_cases(viewer, prefix="case__")))


def coordinator_work(viewer: Viewer) -> list[WorkItem]:
    """Children on the open cases of the areas the person coordinates."""
    areas = viewer.areas_for(Role.COORDINATOR)
    if not areas:
        return []
    return _item(_not_told(Q(case__area_id__in=areas)))
