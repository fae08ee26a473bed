"""A re-assessment is due the area's number of weeks after a case's latest risk assessment, with the
DASH checklist or another risk tool (issue 18 item 1): on the case page, and counted on the
referrer's home list per area in one query."""

from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marac.models import Membership, Role
from marac.viewer import Viewer
from referrals import closing, risk_tool_services, services, worklist
from referrals.checklists import CURRENT
from referrals.models import Case, CaseStatusChange, Referral, RiskAssessment
from tests.conftest import make_case

TODAY = date(2026, 12, 2)
YES = {q.id: {"answer": "yes"} for q in CURRENT.questions}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel("2026-12-02 12:00 +0000", tick=False):
        yield


def referred(case, *, by, agency, weeks_ago: float) -> None:
    """A complete checklist (referred) made `weeks_ago`."""
    on = TODAY - timedelta(weeks=weeks_ago)
    assessment = services.assessment_start(case=case, by=by, on=on)
    services.assessment_answer(assessment=assessment, answers=YES, by=by)
    services.referral_submit(assessment=assessment, by=by, agency=agency, consent="given", today=on)


def other_tool(case, *, by, agency, weeks_ago: float) -> None:
    risk_tool_services.tool_assessment_record(
        case=case,
        tool="dara",
        version="1",
        level="medium",
        assessed_on=TODAY - timedelta(weeks=weeks_ago),
        agency=agency,
        rationale="Assessed at the call-out",
        by=by,
        today=TODAY,
    )


def page(client, case) -> str:
    return client.get(f"/cases/{case.reference}/").content.decode()


def test_the_case_page_says_when_a_re_assessment_is_due(sign_in_fully, referrer, idva, case_a):
    referred(case_a, by=referrer, agency=idva, weeks_ago=2)
    html = page(sign_in_fully(referrer), case_a)
    assert "Re-assessment due on 13 January 2027" in html and "Overdue" not in html


def test_an_overdue_re_assessment_is_flagged(sign_in_fully, referrer, idva, case_a):
    referred(case_a, by=referrer, agency=idva, weeks_ago=9)
    html = page(sign_in_fully(referrer), case_a)
    assert "Re-assessment due on 25 November 2026" in html and "Overdue" in html


def test_another_tools_later_assessment_moves_the_date(sign_in_fully, referrer, idva, police, case_a):
    referred(case_a, by=referrer, agency=idva, weeks_ago=9)
    other_tool(case_a, by=referrer, agency=police, weeks_ago=1)
    html = page(sign_in_fully(referrer), case_a)
    assert "Re-assessment due on 20 January 2027" in html and "Overdue" not in html


def test_the_areas_weeks_decide_the_date(sign_in_fully, referrer, idva, area, case_a):
    area.reassessment_weeks = 4
    area.save()
    referred(case_a, by=referrer, agency=idva, weeks_ago=2)
    assert "Re-assessment due on 16 December 2026" in page(sign_in_fully(referrer), case_a)


def test_a_closed_or_never_assessed_case_has_none_due(sign_in_fully, referrer, coordinator, idva, case_a):
    client = sign_in_fully(referrer)
    assert "Re-assessment due" not in page(client, case_a)
    referred(case_a, by=referrer, agency=idva, weeks_ago=9)
    services.referral_decide(referral=case_a.referrals.get(), status=Referral.Status.ACCEPTED, reason="", by=coordinator)
    closing.case_close(case=case_a, reason=CaseStatusChange.Reason.RISK_REDUCED, note="", by=coordinator)
    assert Case.objects.get(pk=case_a.pk).status == Case.Status.CLOSED
    assert "Re-assessment due" not in page(client, case_a)


# The home list, per area


@pytest.fixture
def two_areas(area, other_area, idva, referrer):
    """The referrer works in both areas; the other area re-assesses every 4 weeks, this one every 8."""
    other_area.reassessment_weeks = 4
    other_area.save()
    Membership.objects.create(user=referrer, agency=idva, area=other_area, role=Role.REFERRER)
    here = make_case(area, idva, referrer, name="Here Person")
    there = make_case(other_area, idva, referrer, name="There Person")
    for case in (here, there):
        referred(case, by=referrer, agency=idva, weeks_ago=6)
    return here, there


def due(referrer) -> int:
    return worklist.reassessments_due(Viewer.of(referrer), TODAY)


def test_each_area_counts_its_own_weeks_in_one_query(referrer, two_areas):
    viewer = Viewer.of(referrer)
    with CaptureQueriesContext(connection) as queries:
        assert worklist.reassessments_due(viewer, TODAY) == 1  # 6 weeks: due at 4 weeks, not at 8
    assert len(queries.captured_queries) == 1
    assert (
        worklist.reassessment_detail(viewer) == "open cases whose latest risk assessment is more than their area's re-assessment period old"
    )


def test_the_other_area_at_8_weeks_is_due_only_after_8(referrer, idva, two_areas):
    here, _ = two_areas
    RiskAssessment.objects.filter(case=here).update(assessed_on=TODAY - timedelta(weeks=8, days=1))
    assert due(referrer) == 2
    RiskAssessment.objects.filter(case=here).update(assessed_on=TODAY - timedelta(weeks=8))
    assert due(referrer) == 1  # due today, not yet overdue


def test_another_tools_assessment_counts_as_the_latest(referrer, police, two_areas):
    _, there = two_areas
    other_tool(there, by=referrer, agency=police, weeks_ago=1)
    assert due(referrer) == 0


def test_a_case_assessed_only_with_another_tool_is_counted(referrer, idva, police, other_area):
    Membership.objects.create(user=referrer, agency=idva, area=other_area, role=Role.REFERRER)
    other_area.reassessment_weeks = 4
    other_area.save()
    only_tool = make_case(other_area, idva, referrer, name="Tool Person")
    other_tool(only_tool, by=referrer, agency=police, weeks_ago=5)
    assert due(referrer) == 1


def test_one_area_shows_its_weeks_on_the_home_list(referrer, case_a):
    assert worklist.reassessment_detail(Viewer.of(referrer)) == "open cases whose latest risk assessment is more than 8 weeks old"
