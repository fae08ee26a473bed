"""Case teams (issue 17, ADR 0019): a worker reads a case for its referring agency only while
allocated to it; the agency's team lead allocates, reallocates and sets cover, and reads a case
only when allocated to it like anyone else."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import Membership, NoticeKind, Notification, Role
from marac.viewer import Viewer
from referrals import services, teams
from referrals.access import cases_for, cases_listed_for, relationships_to_case
from referrals.checklists import DASH_2009
from referrals.models import CaseAllocation, Referral
from tests.conftest import make_case, make_person, sign_in_with_both_factors

YES = {q.id: {"answer": "yes"} for q in DASH_2009.questions}


@pytest.fixture
def colleague(area, idva):
    """Refers for the same agency in the same area, and is on none of its cases."""
    return make_person("colleague", Role.REFERRER, idva, area)


@pytest.fixture
def team_lead(area, idva):
    return make_person("team_lead", Role.TEAM_LEAD, idva, area)


def client_for(user) -> Client:
    return sign_in_with_both_factors(Client(), user)


def denied(user, event: str) -> bool:
    return AccessEvent.objects.filter(user=user, event=event, outcome="denied").exists()


def allocate(client, case, worker, **data):
    return client.post(f"/cases/{case.reference}/team/", {"worker": worker.pk, "kind": "allocated", **data})


def referred(case, *, by, agency):
    assessment = services.assessment_start(case=case, by=by, on=date.today())
    services.assessment_answer(assessment=assessment, answers=YES, by=by)
    return services.referral_submit(assessment=assessment, by=by, agency=agency, consent="given", today=date.today())


# Who reads a case


def test_the_worker_who_makes_a_case_is_on_it_and_reads_it(referrer, case_a):
    allocation = CaseAllocation.objects.get(case=case_a)
    assert (allocation.user, allocation.kind, allocation.ended_at) == (referrer, CaseAllocation.Kind.REFERRING, None)
    assert client_for(referrer).get(f"/cases/{case_a.reference}/").status_code == 200


def test_an_unallocated_colleague_gets_a_logged_404_and_finds_the_case_nowhere(
    colleague, referrer, coordinator, idva, case_a, django_capture_on_commit_callbacks
):
    referral = referred(case_a, by=referrer, agency=idva)
    with django_capture_on_commit_callbacks(execute=True):
        services.referral_decide(referral=referral, status=Referral.Status.MORE_INFO, reason="Which school?", by=coordinator)
    client = client_for(colleague)
    assert client.get(f"/cases/{case_a.reference}/").status_code == 404
    assert denied(colleague, "case_access_denied")
    assert case_a.reference not in client.get("/cases/").content.decode()
    link = f'href="/cases/{case_a.reference}/"'
    assert link not in client.post("/cases/search/", {"q": case_a.reference}, follow=True).content.decode()
    assert case_a.reference not in client.get("/referrals/").content.decode()
    assert client.get(f"/referrals/{referral.pk}/").status_code == 404
    assert not Notification.objects.filter(user=colleague).exists()
    assert Notification.objects.filter(user=referrer, kind=NoticeKind.MORE_INFO).exists()
    viewer = Viewer.of(colleague)
    assert not cases_for(viewer).exists() and not cases_listed_for(viewer).exists()


def test_a_worker_taken_off_the_case_loses_it_and_their_lists_forget_it(referrer, team_lead, case_a):
    allocation = CaseAllocation.objects.get(case=case_a)
    client = client_for(team_lead)
    assert client.post(f"/cases/{case_a.reference}/team/{allocation.pk}/end/").url == f"/cases/{case_a.reference}/team/"
    allocation.refresh_from_db()
    assert allocation.ended_by == team_lead and allocation.ended_at is not None  # kept, with who ended it
    assert AccessEvent.objects.filter(user=team_lead, event="case_allocation_ended", case_reference=case_a.reference).exists()
    worker = client_for(referrer)
    assert worker.get(f"/cases/{case_a.reference}/").status_code == 404
    assert case_a.reference not in worker.get("/cases/").content.decode()


def test_cover_reads_the_case_until_its_last_day_and_not_after(colleague, team_lead, case_a):
    last_day = timezone.localdate() + timedelta(days=7)  # London's day, as the code counts it
    response = allocate(
        client_for(team_lead),
        case_a,
        colleague,
        kind="cover",
        until_day=last_day.day,
        until_month=last_day.month,
        until_year=last_day.year,
    )
    assert response.status_code == 302
    assert CaseAllocation.objects.get(user=colleague).until == last_day
    with time_machine.travel(timezone.now() + timedelta(days=7), tick=False):
        assert client_for(colleague).get(f"/cases/{case_a.reference}/").status_code == 200
        assert Rel_referrer(colleague, case_a)
    with time_machine.travel(timezone.now() + timedelta(days=8), tick=False):
        assert client_for(colleague).get(f"/cases/{case_a.reference}/").status_code == 404
        assert not cases_listed_for(Viewer.of(colleague)).exists()


def Rel_referrer(user, case) -> bool:  # noqa: N802 (reads as the relationship it checks)
    from marac.security.policy import Rel

    return Rel.REFERRER in relationships_to_case(Viewer.of(user), case)


def test_an_allocation_needs_the_referrer_membership_too(colleague, team_lead, case_a):
    allocate(client_for(team_lead), case_a, colleague)
    colleague.memberships.update(is_active=False)
    assert not Rel_referrer(colleague, case_a)
    assert not cases_for(Viewer.of(colleague)).exists()


# The team lead


def test_the_team_lead_allocates_a_worker_who_is_told_and_it_is_logged(
    colleague, team_lead, case_a, sign_in_fully, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert allocate(client_for(team_lead), case_a, colleague).url == f"/cases/{case_a.reference}/team/"
    allocation = CaseAllocation.objects.get(user=colleague)
    assert (allocation.kind, allocation.allocated_by, allocation.until) == (CaseAllocation.Kind.ALLOCATED, team_lead, None)
    assert AccessEvent.objects.filter(user=team_lead, event="case_allocated", case_reference=case_a.reference).exists()
    notice = Notification.objects.get(user=colleague)
    assert notice.kind == NoticeKind.CASE_ALLOCATED and case_a.reference not in notice.url + notice.subject_key
    client = client_for(colleague)
    assert client.get(notice.url).url == f"/cases/{case_a.reference}/"
    assert client.get(f"/cases/{case_a.reference}/").status_code == 200
    someone_else = client_for(make_person("someone", Role.REFERRER, case_a.referring_agency, case_a.area))
    assert someone_else.get(notice.url).status_code == 404  # another person's allocation
    assert denied(User_named("someone"), "allocation_access_denied")


def User_named(username):  # noqa: N802
    from marac.models import User

    return User.objects.get(username=username)


def test_the_team_lead_reallocates_from_one_worker_to_another(referrer, colleague, team_lead, case_a):
    client = client_for(team_lead)
    allocate(client, case_a, colleague)
    client.post(f"/cases/{case_a.reference}/team/{CaseAllocation.objects.get(user=referrer).pk}/end/")
    assert [a.user for a in teams.current_allocations(case_a)] == [colleague]
    assert CaseAllocation.objects.filter(case=case_a).count() == 2  # nothing deleted


def test_the_team_page_lists_references_and_who_is_on_them_with_no_victim_data(team_lead, referrer, colleague, area, idva, case_a, case_b):
    nobody = make_case(area, idva, referrer, name="Nobody Allocated", safe_address="1 Hidden Lane")
    CaseAllocation.objects.filter(case=nobody).update(ended_at=timezone.now(), ended_by=team_lead)
    page = client_for(team_lead).get("/cases/team/").content.decode()
    assert page.index(nobody.reference) < page.index(case_a.reference)  # nobody allocated first
    assert "Nobody allocated" in page and "referrer" in page
    for secret in ("Sarah Mitchell", "Aisha Rahman", "Nobody Allocated", "Shepshed", "Hidden Lane", "07700"):
        assert secret not in page
    assert AccessEvent.objects.filter(user=team_lead, event="team_cases_listed").exists()
    assert 'href="/cases/team/"' in page  # the navigation's Team link


def test_the_team_page_costs_the_same_queries_for_3_or_30_cases(team_lead, referrer, area, idva, django_assert_max_num_queries):
    client = client_for(team_lead)
    for n in range(3):
        make_case(area, idva, referrer, name=f"Person {n}")
    client.get("/cases/team/")
    with django_assert_max_num_queries(20) as few:
        client.get("/cases/team/")
    for n in range(27):
        make_case(area, idva, referrer, name=f"Person {n + 3}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/cases/team/").content.decode().count('href="/cases/NWL-') == 30


def test_the_team_lead_reads_a_case_only_when_allocated_to_it(team_lead, area, idva, case_a):
    client = client_for(team_lead)
    assert client.get(f"/cases/{case_a.reference}/").status_code == 404
    assert denied(team_lead, "case_access_denied")
    response = allocate(client, case_a, team_lead)  # a team lead who is not a referrer there gets nothing from it
    assert "Choose a worker who refers for Loughborough Women&#x27;s Aid in North West Leicestershire" in response.content.decode()
    from marac.models import Membership

    Membership.objects.create(user=team_lead, agency=idva, area=area, role=Role.REFERRER)
    client = client_for(team_lead)
    assert allocate(client, case_a, team_lead).status_code == 302
    assert AccessEvent.objects.filter(user=team_lead, event="case_allocated", purpose=f"allocated to user {team_lead.pk}").exists()
    assert client.get(f"/cases/{case_a.reference}/").status_code == 200


@pytest.mark.parametrize(
    "data,message",
    [
        ({"worker": ""}, "Choose a worker who refers for"),
        ({"worker": "999999"}, "Choose a worker who refers for"),
        ({"worker": "99999999999999999999999"}, "Choose a worker who refers for"),
        ({"kind": ""}, "Choose how long the worker is on the case"),
        ({"kind": "cover"}, "Enter the last day of cover"),
        ({"kind": "cover", "until_day": "1", "until_month": "1", "until_year": "2001"}, "must be today or later"),
        ({"kind": "cover", "until_day": "31", "until_month": "2", "until_year": "2030"}, "must be a real date"),
        ({"kind": "forever"}, "Select a valid choice"),
    ],
)
def test_bad_allocations_are_form_errors_keeping_what_was_typed(team_lead, colleague, case_a, data, message):
    response = client_for(team_lead).post(f"/cases/{case_a.reference}/team/", {"worker": colleague.pk, "kind": "allocated", **data})
    page = response.content.decode()
    assert response.status_code == 200 and message in page and "There is a problem" in page
    assert not CaseAllocation.objects.filter(user=colleague).exists()


def test_workers_of_other_agencies_or_areas_or_already_on_the_case_cannot_be_allocated(
    team_lead, referrer, case_a, other_area, idva, police, area
):
    client = client_for(team_lead)
    for outsider in (make_person("police_worker", Role.REFERRER, police, area), make_person("far_worker", Role.REFERRER, idva, other_area)):
        assert "Choose a worker who refers for" in allocate(client, case_a, outsider).content.decode()
        assert not CaseAllocation.objects.filter(user=outsider).exists()
    assert "already on the case" in allocate(client, case_a, referrer).content.decode()


@pytest.mark.parametrize("where", ["other_agency", "other_area"])
def test_a_team_lead_of_another_agency_or_area_cannot_see_or_allocate(where, case_a, colleague, area, other_area, idva, police):
    lead = make_person("lead", Role.TEAM_LEAD, *((police, area) if where == "other_agency" else (idva, other_area)))
    client = client_for(lead)
    assert client.get(f"/cases/{case_a.reference}/team/").status_code == 404
    assert allocate(client, case_a, colleague).status_code == 404
    end = client.post(f"/cases/{case_a.reference}/team/{CaseAllocation.objects.get(case=case_a).pk}/end/")
    assert end.status_code == 404
    assert AccessEvent.objects.filter(user=lead, event="team_case_denied", outcome="denied").count() == 3
    assert case_a.reference not in client.get("/cases/team/").content.decode()
    assert not CaseAllocation.objects.filter(user=colleague).exists()


@pytest.mark.parametrize("persona", ["referrer", "coordinator", "auditor"])
def test_only_team_leads_have_a_team_page(request, persona, case_a):
    user = request.getfixturevalue(persona)
    client = client_for(user)
    assert client.get("/cases/team/").status_code == 403
    assert denied(user, "team_denied")
    assert client.get(f"/cases/{case_a.reference}/team/").status_code == 404


def test_the_team_lead_is_shown_cases_with_nobody_allocated_on_their_home_page(team_lead, referrer, area, idva, case_a):
    nobody = make_case(area, idva, referrer, name="Nobody Allocated")
    CaseAllocation.objects.filter(case=nobody).update(ended_at=timezone.now(), ended_by=team_lead)
    response = client_for(team_lead).get("/")
    items = {item.label: item for role in response.context["work"] for item in role.items}
    assert items["Cases with nobody allocated"].count == 1 and items["Cases with nobody allocated"].url == "/cases/team/"
    assert nobody.reference not in response.content.decode()


def test_methods(team_lead, case_a):
    client = client_for(team_lead)
    allocation = CaseAllocation.objects.get(case=case_a)
    assert client.post("/cases/team/").status_code == 405
    assert client.get(f"/cases/{case_a.reference}/team/{allocation.pk}/end/").status_code == 405


def test_the_allocation_services_refuse_anyone_but_the_cases_team_lead(colleague, referrer, coordinator, case_a, area, police):
    from django.core.exceptions import ValidationError

    other_lead = make_person("police_lead", Role.TEAM_LEAD, police, area)
    for who in (coordinator, referrer, other_lead):
        with pytest.raises(ValidationError, match="Only the team lead"):
            teams.allocation_add(case=case_a, user=colleague, kind="allocated", until=None, by=who)
        with pytest.raises(ValidationError, match="Only the team lead"):
            teams.allocation_end(allocation=CaseAllocation.objects.get(user=referrer), by=who)
    assert list(CaseAllocation.objects.current().filter(case=case_a).values_list("user", flat=True)) == [referrer.pk]


# The review's findings (ADR 0019)


def allocated_colleague(team_lead, colleague, case):
    allocate(client_for(team_lead), case, colleague)
    return colleague.memberships.get(role=Role.REFERRER)


def test_cover_ends_at_london_midnight_not_utc_midnight(colleague, case_a):
    membership = colleague.memberships.get()
    CaseAllocation.objects.create(
        case=case_a,
        user=colleague,
        membership=membership,
        kind="cover",
        allocated_by=colleague,
        starts_on=date(2027, 6, 1),
        until=date(2027, 6, 30),
    )
    with time_machine.travel(datetime(2027, 6, 30, 22, 59, tzinfo=UTC), tick=False):  # 23:59 in London (BST)
        assert Rel_referrer(colleague, case_a)
    with time_machine.travel(datetime(2027, 6, 30, 23, 1, tzinfo=UTC), tick=False):  # 1 July in London, 30 June in UTC
        assert not Rel_referrer(colleague, case_a)
    assert CaseAllocation.objects.current(date(2027, 6, 30)).filter(user=colleague).exists()
    assert not CaseAllocation.objects.current(date(2027, 7, 1)).filter(user=colleague).exists()


def test_leaving_and_rejoining_gives_nothing_back_without_a_new_allocation(colleague, team_lead, case_a):
    membership = allocated_colleague(team_lead, colleague, case_a)
    membership.is_active = False
    membership.save()  # as the admin does
    allocation = CaseAllocation.objects.get(user=colleague)
    assert allocation.ended_at is not None  # ended for good, and logged
    assert AccessEvent.objects.filter(event="case_allocation_ended", purpose__startswith=f"membership {membership.pk} ended").exists()
    membership.is_active = True
    membership.save()  # rejoins
    assert not Rel_referrer(colleague, case_a) and not cases_for(Viewer.of(colleague)).exists()
    assert client_for(colleague).get(f"/cases/{case_a.reference}/").status_code == 404


def test_being_moved_to_another_agency_and_back_or_a_new_membership_gives_nothing_back(colleague, team_lead, case_a, idva, police, area):
    membership = allocated_colleague(team_lead, colleague, case_a)
    membership.agency = police
    membership.save()  # moved by an administrator
    assert not Rel_referrer(colleague, case_a)
    membership.agency = idva
    membership.save()  # and back
    assert not Rel_referrer(colleague, case_a)
    membership.agency = police
    membership.save()
    Membership.objects.create(user=colleague, agency=idva, area=area, role=Role.REFERRER)  # a new one at the case's agency
    assert not Rel_referrer(colleague, case_a)
    assert client_for(colleague).get(f"/cases/{case_a.reference}/").status_code == 404


def test_an_allocation_stops_in_sql_the_moment_its_membership_changes(colleague, team_lead, case_a, police):
    """Whatever way the membership changed (even past the model's save), SQL stops the access."""
    membership = allocated_colleague(team_lead, colleague, case_a)
    Membership.objects.filter(pk=membership.pk).update(agency=police)
    assert not Rel_referrer(colleague, case_a) and not cases_listed_for(Viewer.of(colleague)).exists()
    assert CaseAllocation.objects.get(user=colleague).ended_at is None  # not ended: simply not honoured


def test_a_case_whose_worker_left_shows_as_nobody_allocated(referrer, team_lead, case_a, case_b):
    referrer.memberships.update(is_active=False)  # left, however it was recorded
    assert set(teams.unallocated(teams.team_cases(Viewer.of(team_lead)))) == {case_a, case_b}
    assert teams.allocations_by_case([case_a.pk, case_b.pk]) == {}
    page = client_for(team_lead).get("/cases/team/").content.decode()
    assert page.count("Nobody allocated") == 2 and "2 cases with nobody allocated" in page
    items = {item.label: item for role in client_for(team_lead).get("/").context["work"] for item in role.items}
    assert items["Cases with nobody allocated"].count == 2
    assert not teams.case_team(case_a).exists()  # nobody is told about its referrals


def test_ending_another_cases_allocation_under_your_cases_reference_is_a_404(team_lead, referrer, case_a, case_b):
    other = CaseAllocation.objects.get(case=case_b)
    assert client_for(team_lead).post(f"/cases/{case_a.reference}/team/{other.pk}/end/").status_code == 404
    assert denied(team_lead, "team_case_denied")
    other.refresh_from_db()
    assert other.ended_at is None


def test_ending_an_allocation_locks_the_case_before_the_allocation(team_lead, case_a):
    """The order allocation_add and transfer_accept take them in, so they cannot deadlock."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    allocation = CaseAllocation.objects.get(case=case_a)
    with CaptureQueriesContext(connection) as queries:
        teams.allocation_end(allocation=allocation, by=team_lead)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    assert 'FROM "referrals_case"' in reads[0] and 'FROM "referrals_caseallocation"' in reads[1]


def test_a_maker_with_no_referrer_membership_there_is_not_allocated(coordinator, area, idva):
    case = make_case(area, idva, coordinator, name="Made By A Coordinator")
    assert not CaseAllocation.objects.filter(case=case).exists()
