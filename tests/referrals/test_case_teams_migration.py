"""Case teams and accepted transfers reach existing databases (referrals 0016 and 0017, ADR
0019): every case is allocated to the worker who made it, and to a colleague of the same agency
who referred it if they still refer there; every earlier transfer, which moved its case at once,
becomes accepted by whoever made it."""

from tests.scratch_db import manage, scratch_database

CASES = """
from datetime import date
from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from referrals import services
from referrals.checklists import DASH_2009
from referrals.models import CaseTransfer
area = MaracArea.objects.create(name="A", short_code="AAA")
before = MaracArea.objects.create(name="B", short_code="BBB")
agency = Agency.objects.create(name="IDVA", kind=AgencyKind.IDVA)
maker, colleague, leaver, gone = (User.objects.create(username=name) for name in ("maker", "colleague", "leaver", "gone"))
for person in (maker, colleague, leaver, gone):
    Membership.objects.create(user=person, agency=agency, area=area, role=Role.REFERRER)
def refer(case, by):
    assessment = services.assessment_start(case=case, by=by, on=date.today())
    services.assessment_answer(assessment=assessment, answers={q.id: {"answer": "yes"} for q in DASH_2009.questions}, by=by)
    services.referral_submit(assessment=assessment, by=by, agency=agency, consent="given", today=date.today())
first = services.case_create(area=area, referring_agency=agency, victim={"name": "One"}, by=maker)
refer(first, colleague)
refer(first, leaver)
second = services.case_create(area=area, referring_agency=agency, victim={"name": "Two"}, by=colleague)
refer(second, maker)
refer(second, colleague)
third = services.case_create(area=area, referring_agency=agency, victim={"name": "Three"}, by=gone)
Membership.objects.filter(user__in=[leaver, gone]).update(is_active=False)
CaseTransfer.objects.create(case=second, from_area=before, to_area=area, transferred_by=maker, reason="victim_moved")
"""
ALLOCATIONS = """
from referrals.models import CaseAllocation
for a in CaseAllocation.objects.order_by("case__reference", "user__username"):
    linked = a.membership.user_id == a.user_id and a.membership.is_active and a.membership.role == "referrer"
    print(a.case.reference, a.user.username, a.kind, a.allocated_by.username, a.ended_at, linked)
"""
TRANSFERS = """
from referrals.models import CaseTransfer
for t in CaseTransfer.objects.all():
    print(t.status, t.decided_by.username, t.decided_at == t.transferred_at, t.from_agency.name, t.to_agency.name)
"""


def test_existing_cases_are_allocated_to_who_made_them_and_who_referred_them_and_transfers_become_accepted():
    """Only people who still refer for the case's agency in its area, each linked to that membership."""
    with scratch_database() as env:
        manage(env, "shell", "-v0", "-c", CASES)
        manage(env, "migrate", "referrals", "0015_emergency_access_requests", "-v0")
        manage(env, "migrate", "-v0")
        year = __import__("datetime").date.today().year
        assert manage(env, "shell", "-v0", "-c", ALLOCATIONS).stdout.splitlines() == [
            f"AAA-{year}-0001 colleague referring maker None True",  # referred it, still refers there
            f"AAA-{year}-0001 maker referring maker None True",  # made it (the leaver referred it too, and is not on it)
            f"AAA-{year}-0002 colleague referring colleague None True",  # made it and referred it: once
            f"AAA-{year}-0002 maker referring colleague None True",
            # AAA-...-0003: its maker has left, so nobody is on it and nothing comes back if they rejoin
        ]
        assert manage(env, "shell", "-v0", "-c", TRANSFERS).stdout.split() == ["accepted", "maker", "True", "IDVA", "IDVA"]
