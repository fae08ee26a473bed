"""Retention and legal holds for the demo (issue 18, item 7): North West Leicestershire keeps
closed cases for six years; one case closed long ago is due for erasure, asked for by its
coordinator and waiting for the chair to confirm; another as old is kept by a legal hold for a
domestic homicide review; Charnwood has set no period, so its coordinator is told to set one."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from marac.models import MaracArea, User
from referrals import closing, retention
from referrals.models import Case, LegalHold
from referrals.services import case_create

KEEP_MONTHS = 72  # set locally: there is no national retention period for MARAC records
DAY = timedelta(days=1)


def _old_closed_case(area: MaracArea, like: Case, name: str, *, opened_years_ago: int, closed_years_ago: int) -> Case:
    referrer, coordinator = User.objects.get(username="referrer"), User.objects.get(username="coordinator")
    with time_machine.travel(timezone.now() - 365 * opened_years_ago * DAY, tick=False):
        case = case_create(area=area, referring_agency=like.referring_agency, victim={"name": name}, by=referrer)
    with time_machine.travel(timezone.now() - 365 * closed_years_ago * DAY, tick=False):
        closing.case_close(case=case, reason="no_contact", by=coordinator)
    return case


def seed_retention(areas: dict[str, MaracArea], cases: dict[str, Case]) -> None:
    """`cases` by victim name, as create_cases made them; CHA keeps no period (flagged)."""
    nwl = areas["NWL"]
    if nwl.retention_months is None:
        nwl.retention_months = KEEP_MONTHS
        nwl.save()
    like = cases["Emma Walsh"]
    due = _old_closed_case(nwl, like, "Lauren Hayes", opened_years_ago=8, closed_years_ago=7)
    retention.erasure_ask(case=due, by=User.objects.get(username="coordinator"))  # the chair confirms
    held = _old_closed_case(nwl, like, "Donna Reeves", opened_years_ago=9, closed_years_ago=7)
    with time_machine.travel(timezone.now() - 40 * DAY, tick=False):
        retention.hold_place(
            case=held,
            kind=LegalHold.Kind.HOMICIDE_REVIEW,
            reason="Domestic homicide review commissioned by the Community Safety Partnership; chronology requested by the panel chair",
            by=User.objects.get(username="chair"),
        )
