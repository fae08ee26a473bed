"""The demo shows case teams and a transfer waiting for Charnwood (ADR 0019)."""

from django.core.management import call_command

from marac.models import Membership, Role
from referrals.models import Case, CaseAllocation, CaseTransfer


def test_the_demo_has_team_leads_allocations_an_unallocated_case_and_an_offer(db, capsys):
    call_command("seed_demo", "--without-packs")
    nwl_agencies = set(Case.objects.filter(area__short_code="NWL").values_list("referring_agency", flat=True))
    leads = Membership.objects.filter(role=Role.TEAM_LEAD, area__short_code="NWL", is_active=True)
    assert set(leads.values_list("agency", flat=True)) == nwl_agencies
    current = CaseAllocation.objects.current()
    assert Case.objects.exclude(pk__in=current.values("case_id")).exists()  # nobody allocated
    assert current.filter(kind=CaseAllocation.Kind.COVER, user__username="idva_worker").exists()
    # Every allocation seed_demo made gives its worker the case (the synthetic hearings of the demo
    # meetings, NWL-S1 and so on, are made in bulk by the coordinator).
    for allocation in current.exclude(case__reference__contains="-S").select_related("case"):
        assert Membership.objects.filter(
            user=allocation.user, role=Role.REFERRER, area=allocation.case.area, agency=allocation.case.referring_agency
        ).exists()
    offer = CaseTransfer.objects.get(status=CaseTransfer.Status.OFFERED)
    assert offer.to_area.short_code == "CHA" and offer.case.area.short_code == "NWL"
    assert "team_lead" in capsys.readouterr().out  # in the printed sign-in list
