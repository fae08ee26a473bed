"""What templates get of a case: its non-personal facts only. Templates never receive a Case,
whose `.victim` would let a template reach around the field policy."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from referrals.models import Case


@dataclass(frozen=True)
class CaseSummary:
    reference: str
    area_name: str
    referring_agency_name: str
    status: str
    is_shredded: bool
    erased_at: datetime | None
    opened_on: date | None = None


def case_summary(case: Case) -> CaseSummary:
    return CaseSummary(
        reference=case.reference,
        area_name=case.area.name,
        referring_agency_name=case.referring_agency.name,
        status=case.get_status_display(),
        is_shredded=case.is_shredded,
        erased_at=case.data_key.shredded_at,
        opened_on=timezone.localtime(case.created_at).date() if case.created_at else None,
    )
