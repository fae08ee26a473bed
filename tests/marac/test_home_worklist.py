"""The home page is a work list per role (issue 16, item 1): each item counted and linked, counted
only among what the person may see, with no victim data, in a fixed number of queries."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import audit
from audit.models import AccessEvent
from marac.models import Agency, AgencyKind, Membership, Role
from meetings.models import Action, AgendaItem, Attendance, Meeting, ResearchReturn
from referrals import services
from referrals.checklists import CURRENT
from referrals.models import Case, CaseAllocation, Referral, RiskAssessment
from referrals.rules import last_referral_bounds
from tests.conftest import make_case, make_person

YES = {q.id: {"answer": "yes"} for q in CURRENT.questions}


def work(response) -> dict[tuple[str, str], int | None]:
    """{(role, label): count} as the page was given it."""
    return {(role.role, item.label): item.count for role in response.context["work"] for item in role.items}


def details(response) -> dict[tuple[str, str], str]:
    return {(role.role, item.label): item.detail for role in response.context["work"] for item in role.items}


def home(client, user):
    from tests.conftest import sign_in_with_both_factors

    response = sign_in_with_both_factors(client, user).get("/")
    assert response.status_code == 200
    return response


def refer(case, *, by, agency, on=None, decide=None, decided_by=None) -> Referral:
    on = on or date.today()
    assessment = services.assessment_start(case=case, by=by, on=on)
    services.assessment_answer(assessment=assessment, answers=YES, by=by)
    referral = services.referral_submit(assessment=assessment, by=by, agency=agency, consent="given", today=on)
    if decide:
        referral = services.referral_decide(referral=referral, status=decide, reason="Please add the police reference", by=decided_by)
    return referral


def meeting_in(area, *, days: int, status: str, agencies, by) -> Meeting:
    meeting = Meeting.objects.create(area=area, starts_at=timezone.now() + timedelta(days=days), chair=by, coordinator=by, status=status)
    meeting.invited_agencies.set(agencies)
    return meeting


def list_case(meeting, case, by, position=1) -> AgendaItem:
    return AgendaItem.objects.create(meeting=meeting, case=case, section=2, position=position, added_because="review", added_by=by)


def action(meeting, case, agency, by, *, due_in_days: int, status=Action.Status.OPEN) -> Action:
    record = Action(
        meeting=meeting,
        case=case,
        agency=agency,
        owner="Duty worker",
        description="Ask about the safe address",
        due_on=date.today() + timedelta(days=due_in_days),
        status=status,
        created_by=by,
    )
    record.save()
    return record


# The referrer


@pytest.fixture
def referrer_work(client, area, idva, referrer, coordinator, case_a, case_b):
    services.assessment_start(case=case_a, by=referrer, on=date.today())  # a checklist in progress
    refer(case_b, by=referrer, agency=idva, decide=Referral.Status.MORE_INFO, decided_by=coordinator)
    third = make_case(area, idva, referrer, name="Third Person")
    refer(third, by=referrer, agency=idva, decide=Referral.Status.ACCEPTED, decided_by=coordinator)
    RiskAssessment.objects.filter(case=third).update(assessed_on=date.today() - timedelta(weeks=9))
    held = meeting_in(area, days=-20, status=Meeting.Status.MINUTES_ISSUED, agencies=[idva], by=coordinator)
    action(held, third, idva, coordinator, due_in_days=-2)
    action(held, third, idva, coordinator, due_in_days=3)
    action(held, third, idva, coordinator, due_in_days=30)  # not due yet
    action(held, third, idva, coordinator, due_in_days=-5, status=Action.Status.DONE)
    return third


def test_referrer_sees_their_work_counted_and_linked(client, referrer, referrer_work):
    response = home(client, referrer)
    counts = work(response)
    assert counts[(Role.REFERRER, "Checklists in progress")] == 1
    assert counts[(Role.REFERRER, "Questions from the coordinator")] == 1
    assert counts[(Role.REFERRER, "Referrals decided this week")] == 1  # accepted; asking for more is a question
    assert counts[(Role.REFERRER, "Risk re-assessments due")] == 1
    assert counts[(Role.REFERRER, "Actions overdue")] == 1
    assert counts[(Role.REFERRER, "Actions due soon")] == 1
    html = response.content.decode()
    assert 'href="/referrals/?status=more_info"' in html
    assert "Nothing needs your attention" not in html


def test_decisions_before_this_week_are_not_counted(client, referrer, referrer_work):
    Referral.objects.filter(status=Referral.Status.ACCEPTED).update(decided_at=timezone.now() - timedelta(days=8))
    assert (Role.REFERRER, "Referrals decided this week") not in work(home(client, referrer))


def test_a_new_checklist_in_progress_ends_a_reassessment_due(client, area, idva, referrer, referrer_work):
    services.assessment_start(case=referrer_work, by=referrer, on=date.today())
    assert (Role.REFERRER, "Risk re-assessments due") not in work(home(client, referrer))


def test_another_agency_or_area_sees_none_of_the_referrers_work(client, area, other_area, idva, police, referrer_work):
    for person in (
        make_person("other_agency", Role.REFERRER, police, area),
        make_person("other_area", Role.REFERRER, idva, other_area),
        make_person("colleague", Role.REFERRER, idva, area),  # same agency and area, not on the cases (ADR 0019)
    ):
        response = home(client, person)
        assert work(response) == {}
        assert "Nothing needs your attention" in response.content.decode()
        client.logout()


# The coordinator


@pytest.fixture
def coordinator_work(area, idva, police, childrens_services, referrer, coordinator, case_a, case_b):
    refer(case_a, by=referrer, agency=idva, on=date.today() - timedelta(days=6))
    refer(case_b, by=referrer, agency=idva, on=date.today() - timedelta(days=2))
    meeting_in(area, days=30, status=Meeting.Status.SCHEDULED, agencies=[police], by=coordinator)
    issued = meeting_in(area, days=10, status=Meeting.Status.AGENDA_ISSUED, agencies=[police, childrens_services], by=coordinator)
    list_case(issued, case_a, coordinator, 1)
    list_case(issued, case_b, coordinator, 2)
    ResearchReturn(meeting=issued, case=case_a, agency=police, facts="Two call-outs", returned_by=coordinator).save()
    action(issued, case_a, police, coordinator, due_in_days=-1)
    action(issued, case_a, childrens_services, coordinator, due_in_days=-3)
    action(issued, case_b, childrens_services, coordinator, due_in_days=-3)
    action(issued, case_b, childrens_services, coordinator, due_in_days=4)
    # A case whose repeat window closes a week after the next meeting, and one long past.
    closing = make_case(area, idva, referrer, name="Window Closing")
    refer(
        closing,
        by=referrer,
        agency=idva,
        on=date.today() + timedelta(days=17) - timedelta(days=365),
        decide="accepted",
        decided_by=coordinator,
    )
    # Referred again since: its window runs from the new referral.
    renewed = make_case(area, idva, referrer, name="Referred Again")
    refer(
        renewed,
        by=referrer,
        agency=idva,
        on=date.today() + timedelta(days=17) - timedelta(days=365),
        decide="accepted",
        decided_by=coordinator,
    )
    refer(renewed, by=referrer, agency=idva, on=date.today() - timedelta(days=1), decide="accepted", decided_by=coordinator)
    old = make_case(area, idva, referrer, name="Long Ago")
    refer(old, by=referrer, agency=idva, on=date.today() - timedelta(days=500), decide="accepted", decided_by=coordinator)
    return issued


def test_coordinator_sees_triage_meetings_research_actions_and_windows(client, coordinator, coordinator_work, idva):
    response = home(client, coordinator)
    counts, said = work(response), details(response)
    assert counts[(Role.COORDINATOR, "Referrals waiting for triage")] == 2
    assert said[(Role.COORDINATOR, "Referrals waiting for triage")] == "the oldest submitted 6 days ago"
    assert counts[(Role.COORDINATOR, "Agendas not yet issued")] == 1
    # Two cases, two agencies invited, one return: the police owe one, children's services two.
    assert counts[(Role.COORDINATOR, "Research returns missing")] == 3
    assert said[(Role.COORDINATOR, "Research returns missing")] == "Leicestershire Children's Social Care 2, Leicestershire Police 1"
    assert counts[(Role.COORDINATOR, "Overdue actions")] == 3
    assert said[(Role.COORDINATOR, "Overdue actions")] == "Leicestershire Children's Social Care 2, Leicestershire Police 1"
    assert counts[(Role.COORDINATOR, "Repeat windows closing")] == 1
    assert counts[(Role.COORDINATOR, "Next meeting")] is None
    assert "are heard there" in said[(Role.COORDINATOR, "Next meeting")]
    html = response.content.decode()
    assert f'href="/meetings/{coordinator_work.pk}/"' in html
    assert 'href="/referrals/triage/"' in html
    assert 'href="/meetings/actions/?status=overdue"' in html
    # Counts only: no case is named on the home page.
    for reference in coordinator_work.agenda_items.values_list("case__reference", flat=True):
        assert reference not in html


def test_a_coordinator_elsewhere_sees_none_of_it(client, other_area, police, coordinator_work):
    other_area.retention_months = 72  # set, or their own area's missing period would be on the list (ADR 0027)
    other_area.save()
    response = home(client, make_person("coordinator_elsewhere", Role.COORDINATOR, police, other_area))
    # Every coordinator's way in to the case importer (issue 19, ADR 0029): a link, not this area's work.
    assert work(response) == {(Role.COORDINATOR, "Import cases from a spreadsheet"): None}


def test_erased_cases_are_not_counted(client, coordinator, coordinator_work, case_b):
    services.case_shred(case=case_b, by=coordinator)
    counts = work(home(client, coordinator))
    assert counts[(Role.COORDINATOR, "Referrals waiting for triage")] == 1
    assert counts[(Role.COORDINATOR, "Research returns missing")] == 1  # the police's on the case left
    assert counts[(Role.COORDINATOR, "Overdue actions")] == 2


# The chair


def test_chair_sees_the_next_meeting_and_minutes_to_issue(client, area, other_area, police, chair, coordinator):
    upcoming = meeting_in(area, days=5, status=Meeting.Status.AGENDA_ISSUED, agencies=[police], by=coordinator)
    meeting_in(area, days=-3, status=Meeting.Status.MINUTES_DRAFT, agencies=[police], by=coordinator)
    meeting_in(area, days=-40, status=Meeting.Status.MINUTES_ISSUED, agencies=[police], by=coordinator)
    meeting_in(other_area, days=-3, status=Meeting.Status.MINUTES_DRAFT, agencies=[police], by=coordinator)
    response = home(client, chair)
    assert work(response) == {(Role.CHAIR, "Next meeting"): None, (Role.CHAIR, "Minutes to issue"): 1}
    assert f'href="/meetings/{upcoming.pk}/"' in response.content.decode()


# The agency representative


@pytest.fixture
def rep_work(area, idva, police, childrens_services, referrer, coordinator, case_a, case_b):
    issued = meeting_in(area, days=10, status=Meeting.Status.AGENDA_ISSUED, agencies=[police, childrens_services], by=coordinator)
    list_case(issued, case_a, coordinator, 1)
    list_case(issued, case_b, coordinator, 2)
    ResearchReturn(meeting=issued, case=case_a, agency=childrens_services, facts="Known to us", returned_by=coordinator).save()
    meeting_in(area, days=20, status=Meeting.Status.SCHEDULED, agencies=[childrens_services], by=coordinator)  # not issued: not shown
    held = meeting_in(area, days=-20, status=Meeting.Status.MINUTES_ISSUED, agencies=[childrens_services], by=coordinator)
    action(held, case_a, childrens_services, coordinator, due_in_days=-1)
    action(held, case_a, childrens_services, coordinator, due_in_days=2)
    action(held, case_a, police, coordinator, due_in_days=-1)  # another agency's
    draft = meeting_in(area, days=-2, status=Meeting.Status.MINUTES_DRAFT, agencies=[childrens_services], by=coordinator)
    action(draft, case_b, childrens_services, coordinator, due_in_days=-1)  # minutes not issued yet
    return issued


def test_representative_sees_statement_research_and_actions(client, agency_rep, childrens_services, rep_work):
    # Their agency's actions count only from a meeting whose statement they accepted (ADR 0021).
    held = Meeting.objects.get(status=Meeting.Status.MINUTES_ISSUED)
    assert (Role.AGENCY_REP, "Actions overdue") not in work(home(client, agency_rep))
    Attendance.objects.create(meeting=held, user=agency_rep, agency=childrens_services, confidentiality_accepted_at=timezone.now())
    response = home(client, agency_rep)
    counts = work(response)
    html = response.content.decode()
    assert 'href="/meetings/actions/?status=overdue"' in html and 'href="/meetings/actions/?status=incomplete"' in html
    assert counts[(Role.AGENCY_REP, "Confidentiality statements to accept")] == 1
    assert counts[(Role.AGENCY_REP, "Research due")] == 1
    assert counts[(Role.AGENCY_REP, "Actions overdue")] == 1
    assert counts[(Role.AGENCY_REP, "Actions due soon")] == 1
    Attendance.objects.create(meeting=rep_work, user=agency_rep, agency=childrens_services, confidentiality_accepted_at=timezone.now())
    assert (Role.AGENCY_REP, "Confidentiality statements to accept") not in work(home(client, agency_rep))


def test_an_uninvited_representative_sees_none_of_it(client, area, other_area, idva, childrens_services, rep_work):
    for person in (
        make_person("uninvited_rep", Role.AGENCY_REP, idva, area),
        make_person("rep_elsewhere", Role.AGENCY_REP, childrens_services, other_area),
    ):
        assert work(home(client, person)) == {}
        client.logout()


# The auditor


def test_auditor_sees_anomalies_since_their_last_visit_and_the_chain(client, auditor, referrer, case_a):
    audit.record(event="break_glass", user=referrer, case_reference=case_a.reference, purpose="emergency")
    response = home(client, auditor)
    counts, said = work(response), details(response)
    assert counts[(Role.AUDITOR, "Anomalies")] == 1
    assert said[(Role.AUDITOR, "Access log chain")] == "not verified on the chain page yet: open it to verify"
    assert client.get("/audit/anomalies/").status_code == 200
    assert client.get("/audit/chain/").status_code == 200
    response = home(client, auditor)
    assert (Role.AUDITOR, "Anomalies") not in work(response)  # nothing new since the visit
    assert details(response)[(Role.AUDITOR, "Access log chain")].startswith("intact: last verified on the chain page on ")
    audit.record(event="break_glass_refused", user=referrer, case_reference=case_a.reference, purpose="emergency")
    assert work(home(client, auditor))[(Role.AUDITOR, "Anomalies")] == 1


def test_auditor_home_shows_no_case_content(client, auditor, referrer, case_a):
    audit.record(event="break_glass", user=referrer, case_reference=case_a.reference, purpose="emergency")
    html = home(client, auditor).content.decode()
    assert case_a.reference not in html
    assert "Sarah" not in html and "Belvoir" not in html


def test_an_auditor_elsewhere_does_not_count_this_areas_anomalies(client, other_area, police, referrer, case_a):
    audit.record(event="break_glass", user=referrer, case_reference=case_a.reference, purpose="emergency")
    elsewhere = make_person("auditor_elsewhere", Role.AUDITOR, police, other_area)
    assert (Role.AUDITOR, "Anomalies") not in work(home(client, elsewhere))


def test_the_chain_page_records_a_broken_verdict_for_the_home_page(client, auditor, monkeypatch):
    from audit.chain import Verdict
    from audit.workspace import views

    monkeypatch.setattr(views, "verify", lambda: Verdict(10, "0" * 64, 7, "its content was changed"))
    home(client, auditor)
    client.get("/audit/chain/")
    assert AccessEvent.objects.filter(event="audit_chain_verified", outcome="integrity_failure").exists()
    assert details(client.get("/"))[(Role.AUDITOR, "Access log chain")].startswith("BROKEN: ")


# Everyone


def test_the_home_page_decrypts_nothing(client, monkeypatch, area, police, idva, coordinator_work, referrer_work):
    person = _everyone(area, police)
    membership = Membership.objects.create(user=person, agency=idva, area=area, role=Role.REFERRER)
    for case in Case.objects.all():  # on the referrer's cases, to count their questions (ADR 0019)
        CaseAllocation.objects.create(
            case=case, user=person, membership=membership, kind="allocated", allocated_by=person, starts_on=date.today()
        )
    home(client, person)  # signed in first: nothing below may open a sealed value

    def refuse(*args, **kwargs):
        raise AssertionError("the home page decrypted a value")

    monkeypatch.setattr("marac.security.crypto.decrypt", refuse)
    counts = work(client.get("/"))
    assert counts[(Role.COORDINATOR, "Referrals waiting for triage")] and counts[(Role.REFERRER, "Questions from the coordinator")]


def test_someone_with_nothing_to_do_is_told_so(client, referrer):
    response = home(client, referrer)
    assert work(response) == {}
    html = response.content.decode()
    assert "Nothing needs your attention" in html
    assert html.index("Nothing needs your attention") < html.index("Your roles")


def _everyone(area, police):
    person = make_person("everyone", Role.COORDINATOR, police, area)
    for role in (Role.REFERRER, Role.CHAIR, Role.AGENCY_REP, Role.AUDITOR):
        Membership.objects.create(user=person, agency=police, area=area, role=role)
    return person


def _add_rows(area, police, idva, by, *, cases: int, start: int):
    meeting = meeting_in(area, days=10, status=Meeting.Status.AGENDA_ISSUED, agencies=[police, idva], by=by)
    held = meeting_in(area, days=-10, status=Meeting.Status.MINUTES_ISSUED, agencies=[police], by=by)
    for n in range(cases):
        case = make_case(area, police, by, name=f"Person {start + n}")
        refer(case, by=by, agency=police, on=date.today() - timedelta(days=n % 300))
        list_case(meeting, case, by, n + 1)
        action(held, case, police, by, due_in_days=n % 11 - 5)
        services.assessment_start(case=case, by=by, on=date.today())
    audit.record(event="break_glass", user=by, purpose="emergency")


def test_the_home_page_takes_the_same_number_of_queries_whatever_the_data(client, area, police, idva):
    person = _everyone(area, police)
    meeting_in(area, days=3, status=Meeting.Status.SCHEDULED, agencies=[police], by=person)
    _add_rows(area, police, idva, person, cases=2, start=0)
    home(client, person)  # signed in, and the session and content types cached, before counting
    with CaptureQueriesContext(connection) as small:
        few = work(client.get("/"))
    _add_rows(area, police, Agency.objects.create(name="Housing", kind=AgencyKind.HOUSING), person, cases=12, start=100)
    with CaptureQueriesContext(connection) as large:
        many = work(client.get("/"))
    assert many[(Role.COORDINATOR, "Referrals waiting for triage")] > few[(Role.COORDINATOR, "Referrals waiting for triage")]
    assert many[(Role.AGENCY_REP, "Research due")] > few[(Role.AGENCY_REP, "Research due")]
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)


# The repeat window's dates


@pytest.mark.parametrize(
    "first, last, earliest, latest",
    [
        (date(2026, 3, 1), date(2026, 3, 29), date(2025, 3, 1), date(2025, 3, 29)),
        # 29 February 2024's window ends on 28 February 2025, as does 28 February 2024's.
        (date(2025, 2, 28), date(2025, 3, 28), date(2024, 2, 28), date(2024, 3, 28)),
        (date(2025, 2, 1), date(2025, 2, 28), date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_last_referral_bounds_follow_the_rules_window(first, last, earliest, latest):
    from referrals.rules import within_repeat_window

    assert last_referral_bounds(first, last) == (earliest, latest)
    # The window of the earliest closes on or after `first`; the day before's closed before it.
    assert within_repeat_window(last_referral=earliest, incident=first)
    assert not within_repeat_window(last_referral=earliest - timedelta(days=1), incident=first)
