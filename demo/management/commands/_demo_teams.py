"""Case teams and a transfer offer for the demo (ADR 0019): each referring agency in North West
Leicestershire has a team lead; the IDVA's cases have a second worker on them (one as cover for
an absence); the cases the demo made in other agencies' names wait for their team lead to
allocate them; and one case is offered to Charnwood, waiting for its coordinator."""

from datetime import timedelta

from django.utils import timezone

from marac.models import User
from referrals import teams, transfers
from referrals.models import Case, CaseAllocation

IDVA = "Loughborough Women's Aid"
# (victim's name, worker put on the case, cover for how many days or None for allocated)
SECOND_WORKERS = [("Sarah Mitchell", "idva_worker", None), ("Kerry Doyle", "idva_worker", 14)]
OFFERED_TO_CHARNWOOD = "Jo Pryce"


def seed_teams(areas, cases: dict[str, Case]) -> None:
    """`cases` by victim name, as create_cases made them (by the demo referrer, in North West
    Leicestershire)."""
    idva_lead = User.objects.get(username="team_lead")
    for case in cases.values():
        if case.area.short_code == "NWL" and case.referring_agency.name != IDVA:
            # The demo made them as the IDVA's referrer for brevity; she does not work for that
            # agency, so its team lead took her off: they wait for someone to be allocated.
            lead = User.objects.get(memberships__role="team_lead", memberships__agency=case.referring_agency, memberships__area=case.area)
            for allocation in CaseAllocation.objects.filter(case=case, ended_at=None):
                teams.allocation_end(allocation=allocation, by=lead)
    for victim, username, cover_days in SECOND_WORKERS:
        until = timezone.localdate() + timedelta(days=cover_days) if cover_days else None
        kind = CaseAllocation.Kind.COVER if cover_days else CaseAllocation.Kind.ALLOCATED
        teams.allocation_add(case=cases[victim], user=User.objects.get(username=username), kind=kind, until=until, by=idva_lead)
    transfers.transfer_offer(
        case=cases[OFFERED_TO_CHARNWOOD], to_area=areas["CHA"], reason="victim_moved", by=User.objects.get(username="coordinator")
    )
