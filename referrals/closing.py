"""Closing and reopening a case (issue 16). The coordinator of the case's area does it, with a
coded reason and, if they like, a note (encrypted under the case's key: it is typed about the
victim). Each is a CaseStatusChange kept for good, so the case page says "Closed on ..." (with
the reason to those who may read the note) and its chronology shows every close and reopen;
retention is counted from the last closure (DESIGN 2.6)."""

from django.core.exceptions import ValidationError
from django.db import transaction

import audit
from marac.history import acting
from marac.models import User
from referrals import signals
from referrals.conversation import TEXT_LIMIT
from referrals.models import Case, CaseStatusChange, Referral

WAITING = (Referral.Status.SUBMITTED, Referral.Status.MORE_INFO)


class CaseErased(ValidationError):
    def __init__(self) -> None:
        super().__init__("This case has been erased, so it can no longer be closed or reopened")


def _valid(reason: str, note: str, allowed: tuple) -> str:
    if reason not in allowed:
        raise ValidationError("Choose a reason")
    note = note.strip()
    if reason == CaseStatusChange.Reason.OTHER and not note:
        raise ValidationError("Say what the other reason is")
    if len(note) > TEXT_LIMIT:
        raise ValidationError(f"The note must be {TEXT_LIMIT} characters or fewer")
    return note


def _change(case: Case, *, to: str, kind: str, reason: str, note: str, by: User) -> CaseStatusChange:
    acting(case, by)  # the case's history names who closed or reopened it
    case.status = to
    case.save(update_fields=["status"])
    change = CaseStatusChange(case=case, kind=kind, reason=reason, note=note, by=by)
    change.full_clean(exclude=[f.name for f in CaseStatusChange.encrypted_fields()])
    change.save()
    audit.record(event=f"case_{kind}", user=by, case_reference=case.reference, fields=["note"] if note else [], purpose=reason)
    signals.case_changed.send(sender=Case, case_id=case.pk)
    return change


@transaction.atomic
def case_close(*, case: Case, reason: str, note: str = "", by: User) -> CaseStatusChange:
    """Close an open case. A referral still waiting for a decision must be decided (or withdrawn)
    first: closing under it would leave it in triage for a case nobody is working."""
    case = Case.objects.select_for_update().select_related("data_key").get(pk=case.pk)
    note = _valid(reason, note, CaseStatusChange.CLOSE_REASONS)
    if case.is_shredded:
        raise CaseErased()
    if case.status != Case.Status.OPEN:
        raise ValidationError("This case is already closed")
    if case.referrals.filter(status__in=WAITING).exists():
        raise ValidationError("A referral on this case is waiting for a decision: decide on it before closing the case")
    return _change(case, to=Case.Status.CLOSED, kind=CaseStatusChange.Kind.CLOSED, reason=reason, note=note, by=by)


@transaction.atomic
def case_reopen(*, case: Case, reason: str, note: str = "", by: User) -> CaseStatusChange:
    case = Case.objects.select_for_update().select_related("data_key").get(pk=case.pk)
    note = _valid(reason, note, CaseStatusChange.REOPEN_REASONS)
    if case.is_shredded:
        raise CaseErased()
    if case.status != Case.Status.CLOSED:
        raise ValidationError("This case is open already")
    return _change(case, to=Case.Status.OPEN, kind=CaseStatusChange.Kind.REOPENED, reason=reason, note=note, by=by)


def reopen_for_new_referral(*, case: Case, by: User) -> None:
    """A new referral on a closed case reopens it (inside the referral's transaction): a closed
    case is never listed for a meeting, and a repeat must not wait for someone to notice."""
    case = Case.objects.select_for_update().select_related("data_key").get(pk=case.pk)
    if case.status == Case.Status.CLOSED:
        _change(case, to=Case.Status.OPEN, kind=CaseStatusChange.Kind.REOPENED, reason=CaseStatusChange.Reason.NEW_REFERRAL, note="", by=by)
