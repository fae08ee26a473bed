"""Writes to cases: each is atomic, validates before saving, keeps blind indexes in step, and
writes its audit entry."""

import uuid
from datetime import date

from django.db import transaction
from django.db.models import Max

import audit
from marac.models import Agency, MaracArea, User
from marac.security import blind_index
from marac.security.datakeys import data_key_create, data_key_shred
from referrals.models import Case, Victim

NAME_DOB_INDEX = "victim_name_dob"


def _next_reference(area: MaracArea, year: int) -> str:
    prefix = f"{area.short_code}-{year}-"
    last = Case.objects.filter(reference__startswith=prefix).aggregate(last=Max("reference"))["last"]
    number = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


@transaction.atomic
def case_create(*, area: MaracArea, referring_agency: Agency, victim: dict, by: User) -> Case:
    """A new case with its own data key, its victim record encrypted under it, and the blind
    indexes that let a later referral anywhere find it."""
    case_uuid = uuid.uuid4()
    case = Case(
        uuid=case_uuid,
        reference=_next_reference(area, date.today().year),
        area=area,
        referring_agency=referring_agency,
        data_key=data_key_create(case_uuid=case_uuid),
        created_by=by,
    )
    case.full_clean()
    case.save()
    record = Victim(case=case, **victim)
    record.full_clean(exclude=[f.name for f in Victim.encrypted_fields()])  # encrypted values validate in forms
    record.save()
    victim_reindex(victim=record)
    audit.record(event="case_created", user=by, case_reference=case.reference, fields=victim.keys(), purpose="referral")
    return case


class StaleRecord(Exception):
    """Someone else saved the record after this person opened it."""


class CaseErased(Exception):
    """The case was shredded; its records can no longer change."""


@transaction.atomic
def victim_update(*, victim: Victim, changes: dict, expected_version: int, by: User, request=None) -> Victim:
    """Apply changes only to the version the person saw: a form opened earlier cannot silently
    undo someone else's change (say, a new safe address)."""
    case = Case.objects.select_for_update().get(pk=victim.case_id)  # serialises with case_shred
    if case.is_shredded:
        raise CaseErased
    current = Victim.objects.select_for_update().select_related("case__data_key").get(pk=victim.pk)
    if current.row_version != expected_version:
        raise StaleRecord
    for name, value in changes.items():
        setattr(current, name, value)
    current.save()
    victim = current
    victim_reindex(victim=victim)
    audit.record(event="victim_updated", user=by, request=request, case_reference=victim.case.reference,
                 fields=changes.keys(), purpose="update record")
    return victim


def victim_reindex(*, victim: Victim) -> None:
    """Name and date of birth, every alias and every alternative date, as matchable pairs."""
    names = [victim.name, *victim.aliases]
    born = [victim.date_of_birth, *(date.fromisoformat(d) for d in victim.alternative_dates_of_birth)]
    values = {blind_index.name_and_birth_date(n, b) for n in names if n for b in born if b}
    blind_index.index_replace(index_name=NAME_DOB_INDEX, case_uuid=victim.case.uuid, subject_uuid=victim.uuid, values=values)


@transaction.atomic
def case_shred(*, case: Case, by: User | None) -> None:
    """Erase a case by destroying its data key (crypto-shredding) and its blind-index entries.

    The case row stays as a non-personal tombstone (reference, area, dates), and the audit trail
    stays whole. Live and history rows of its records remain as ciphertext nobody can read.
    """
    case = Case.objects.select_for_update().select_related("data_key").get(pk=case.pk)  # no edit in flight
    data_key_shred(key=case.data_key)
    blind_index.entries_delete_for_case(case_uuid=case.uuid)
    case.status = Case.Status.SHREDDED
    case.save(update_fields=["status"])
    audit.record(event="case_shredded", user=by, case_reference=case.reference, purpose="retention or erasure")
