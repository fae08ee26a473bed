"""Filters, sorting and paging on the case list, my referrals, triage and the action tracker
(issue 16 item 3), the "waiting on the referrer" list, and the cross-area match that said "heard
at" of a case only referred there. Junk parameters are ignored, never a 500."""

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import Role
from marac.viewer import Viewer
from referrals import selectors, services
from referrals.access import cases_for, cases_listed_for
from referrals.checklists import CURRENT
from referrals.models import Case, Referral
from tests.conftest import grant_hearing, make_case, make_person

HOSTILE = [
    {"sort": "password"},
    {"sort": "-victim__name"},
    {"page": "-1"},
    {"page": "0"},
    {"page": "999999"},
    {"page": "9" * 40},
    {"page": "1\x00"},
    {"status": "<script>alert(1)</script>"},
    {"status": "open\x00"},
    {"area": "1 OR 1=1"},
    {"area": "9" * 40},
    {"meeting": "-3"},
    {"risk": "extreme"},
    {"q": "x" * 5000},
    {"q": "\x00"},
    {"search": "\x00"},
    {"search": "x" * 5000},
    {"search": ["a", "b"]},
]


def referred(case, by, agency, *, yes: int = 14, on: date | None = None) -> Referral:
    assessment = services.assessment_start(case=case, by=by, on=on or date.today())
    answers = {q.id: {"answer": "yes" if n < yes else "no"} for n, q in enumerate(CURRENT.questions)}
    services.assessment_answer(assessment=assessment, answers=answers, by=by)
    judgement = yes < CURRENT.high_from  # below the high band, professional judgement refers it
    return services.referral_submit(
        assessment=assessment, by=by, agency=agency, consent="given", judgement=judgement, today=on or date.today()
    )


def references(response) -> list[str]:
    return re.findall(r'href="/cases/([A-Z0-9-]+)/"', response.content.decode())


@pytest.fixture
def many_cases(area, idva, referrer):
    return [make_case(area, idva, referrer, name=f"Person {n}") for n in range(55)]


@pytest.mark.parametrize("url", ["/cases/", "/referrals/", "/referrals/triage/", "/meetings/actions/"])
@pytest.mark.parametrize("params", HOSTILE)
def test_junk_parameters_are_ignored_never_a_500(request, sign_in_fully, referrer, coordinator, case_a, url, params):
    person = referrer if url == "/referrals/" else coordinator
    response = sign_in_fully(person).get(url, params)
    assert response.status_code == 200
    assert "<script>alert" not in response.content.decode()


def test_the_case_list_pages_50_at_a_time_and_keeps_the_filters(sign_in_fully, coordinator, many_cases):
    client = sign_in_fully(coordinator)
    first, second = client.get("/cases/", {"status": "open"}), client.get("/cases/", {"status": "open", "page": "2"})
    assert len(references(first)) == 50 and len(references(second)) == 5
    assert set(references(first)).isdisjoint(references(second))
    assert "Showing 51 to 55 of 55 cases" in second.content.decode()
    assert 'href="?status=open&amp;page=2"' in first.content.decode()
    assert client.get("/cases/", {"page": "999999"}).content.decode().count("/cases/NWL-") == 5  # the last page


def test_only_the_page_shown_is_logged(sign_in_fully, coordinator, many_cases):
    sign_in_fully(coordinator).get("/cases/", {"page": "2"})
    logged = set(AccessEvent.objects.filter(purpose="case list").values_list("case_reference", flat=True))
    assert logged == {c.reference for c in many_cases[:5]}  # newest first: page 2 holds the five oldest


def test_sorting_says_so_and_keeps_the_filters(sign_in_fully, coordinator, case_a, case_b):
    client = sign_in_fully(coordinator)
    page = client.get("/cases/", {"sort": "reference", "status": "open"}).content.decode()
    assert references(client.get("/cases/", {"sort": "reference"})) == sorted([case_a.reference, case_b.reference])
    assert references(client.get("/cases/", {"sort": "-reference"})) == sorted([case_a.reference, case_b.reference], reverse=True)
    assert re.search(r'aria-sort="ascending"><a class="govuk-link" href="\?status=open&amp;sort=-reference">Reference', page)
    assert page.count("aria-sort=") == 1


def test_the_status_filter(sign_in_fully, coordinator, case_a, case_b, area, idva, referrer):
    Case.objects.filter(pk=case_b.pk).update(status=Case.Status.CLOSED)
    client = sign_in_fully(coordinator)
    assert references(client.get("/cases/", {"status": "closed"})) == [case_b.reference]
    assert references(client.get("/cases/", {"status": "open"})) == [case_a.reference]


def test_the_area_filter_offers_only_the_persons_areas(sign_in_fully, coordinator, case_a, other_area, idva, police):
    other_referrer = make_person("charnwood_referrer", Role.REFERRER, idva, other_area)
    elsewhere = make_case(other_area, idva, other_referrer, name="Someone Else")
    client = sign_in_fully(coordinator)
    assert references(client.get("/cases/", {"area": str(other_area.pk)})) == [case_a.reference]  # ignored: not theirs
    from marac.models import Membership

    Membership.objects.create(user=coordinator, agency=police, area=other_area, role=Role.COORDINATOR)
    client = sign_in_fully(coordinator)
    assert references(client.get("/cases/", {"area": str(other_area.pk)})) == [elsewhere.reference]


def test_the_risk_level_filter_uses_the_latest_complete_checklist(sign_in_fully, coordinator, case_a, case_b, referrer, idva):
    referred(case_a, referrer, idva, yes=14)  # high
    referred(case_b, referrer, idva, yes=14, on=date.today() - timedelta(days=30))
    later = services.assessment_start(case=case_b, by=referrer, on=date.today())  # a draft does not count
    services.assessment_answer(assessment=later, answers={q.id: {"answer": "no"} for q in CURRENT.questions}, by=referrer)
    client = sign_in_fully(coordinator)
    assert sorted(references(client.get("/cases/", {"risk": "high"}))) == sorted([case_a.reference, case_b.reference])
    assert references(client.get("/cases/", {"risk": "standard"})) == []


def test_the_risk_level_is_shown_and_filtered_only_where_the_checklist_may_be_read(
    sign_in_fully, coordinator, auditor, case_a, case_b, referrer, idva
):
    """The defect: the list showed the auditor "High" and ?risk=high found the case, while the case
    page showed the level as Withheld (the checklist's answers are the meeting's, not the auditor's)."""
    referred(case_a, referrer, idva, yes=14)  # high
    client = sign_in_fully(auditor)
    page = client.get("/cases/").content.decode()
    row = page.split(f"/cases/{case_a.reference}/", 1)[1].split("</tr>", 1)[0]
    assert "Withheld" in row and "High" not in row
    assert "Not assessed" in page.split(f"/cases/{case_b.reference}/", 1)[1].split("</tr>", 1)[0]
    for level in ("high", "medium", "standard"):
        assert references(client.get("/cases/", {"risk": level})) == []
    assert not any("assessment.score" in e.fields for e in AccessEvent.objects.filter(user=auditor, purpose="case list"))

    client = sign_in_fully(coordinator)
    row = client.get("/cases/").content.decode().split(f"/cases/{case_a.reference}/", 1)[1].split("</tr>", 1)[0]
    assert "High" in row and "Withheld" not in row
    assert references(client.get("/cases/", {"risk": "high"})) == [case_a.reference]
    logged = AccessEvent.objects.filter(user=coordinator, purpose="case list", case_reference=case_a.reference)
    assert all("assessment.score" in e.fields for e in logged) and logged.exists()
    not_assessed = AccessEvent.objects.filter(user=coordinator, purpose="case list", case_reference=case_b.reference)
    assert not any("assessment.score" in e.fields for e in not_assessed)


def test_the_risk_level_in_sql_is_the_models(case_a, referrer, idva):
    for yes in (0, 9, 10, 13, 14, 24):
        assessment = services.assessment_start(case=case_a, by=referrer, on=date.today())
        services.assessment_answer(
            assessment=assessment,
            answers={q.id: {"answer": "yes" if n < yes else "no"} for n, q in enumerate(CURRENT.questions)},
            by=referrer,
        )
    from referrals.models import RiskAssessment

    RiskAssessment.objects.filter(score=9).update(override_band="high")
    for assessment in RiskAssessment.objects.annotate(sql_level=selectors.risk_level_sql()):
        assert assessment.sql_level == assessment.level.value


@pytest.mark.parametrize("persona", ["referrer", "coordinator", "chair", "auditor", "agency_rep", "unrelated", "admin_user"])
def test_the_list_sees_exactly_the_cases_the_getter_does(request, persona, case_a, case_b, other_area, idva):
    other_referrer = make_person("charnwood_referrer", Role.REFERRER, idva, other_area)
    user = request.getfixturevalue(persona)
    # A referrer sees the cases they are on (ADR 0019): the unrelated person made this one.
    make_case(other_area, idva, user if persona == "unrelated" else other_referrer, name="Someone Else")
    if persona == "agency_rep":
        grant_hearing(user, case_a)
    listed, got = set(cases_listed_for(Viewer.of(user))), set(cases_for(Viewer.of(user)))
    assert listed == got
    assert bool(listed) == (persona != "admin_user")  # the comparison is not of two empty sets


def test_a_break_glass_grant_lists_the_case_too(unrelated, case_a):
    from referrals.models import BreakGlassGrant

    assert case_a not in cases_listed_for(Viewer.of(unrelated))
    BreakGlassGrant.objects.create(
        case=case_a,
        user=unrelated,
        membership=unrelated.memberships.get(),
        reason="emergency",
        expires_at=timezone.now() + timedelta(hours=1),
    )
    # The unrelated person refers in another area, so may ask for emergency access: the grant shows the case.
    assert set(cases_listed_for(Viewer.of(unrelated))) == set(cases_for(Viewer.of(unrelated))) == {case_a}


def test_the_representative_lists_only_the_cases_they_hear(sign_in_fully, agency_rep, case_a, case_b):
    grant_hearing(agency_rep, case_a)
    client = sign_in_fully(agency_rep)
    assert references(client.get("/cases/")) == [case_a.reference]
    assert references(client.get("/cases/", {"status": "open", "sort": "reference"})) == [case_a.reference]


def test_the_meeting_filter_lists_that_agendas_cases(sign_in_fully, coordinator, chair, case_a, case_b, area, idva, police):
    from demo.synthetic import held_meeting
    from meetings.models import AgendaItem

    meeting = held_meeting(area=area, on=date.today() - timedelta(days=3), chair=chair, coordinator=coordinator, agencies=[idva, police])
    AgendaItem.objects.create(meeting=meeting, case=case_b, section=2, position=1, added_because="made_cutoff", added_by=coordinator)
    client = sign_in_fully(coordinator)
    assert references(client.get("/cases/", {"meeting": str(meeting.pk)})) == [case_b.reference]
    assert references(client.get("/cases/", {"meeting": str(meeting.pk + 100)})) != [case_b.reference]  # not theirs: ignored


def test_my_referrals_filter_by_status_and_page(sign_in_fully, referrer, coordinator, case_a, case_b, idva):
    first = referred(case_a, referrer, idva)
    referred(case_b, referrer, idva)
    services.referral_decide(referral=first, status=Referral.Status.ACCEPTED, reason="", by=coordinator)
    client = sign_in_fully(referrer)
    accepted = client.get("/referrals/", {"status": "accepted"})
    assert references(accepted) == [case_a.reference]
    assert sorted(references(client.get("/referrals/"))) == sorted([case_a.reference, case_b.reference])
    assert 'aria-sort="descending"' in client.get("/referrals/").content.decode()


def waiting_referral(case, referrer, idva, coordinator, days: int) -> Referral:
    referral = referred(case, referrer, idva)
    services.referral_decide(
        referral=referral, status=Referral.Status.MORE_INFO, reason="Is the perpetrator still at the address?", by=coordinator
    )
    Referral.objects.filter(pk=referral.pk).update(decided_at=timezone.now() - timedelta(days=days))
    return referral


def test_triage_lists_those_waiting_on_the_referrer_with_how_long(sign_in_fully, coordinator, referrer, idva, case_a, case_b):
    referred(case_a, referrer, idva)
    waiting_referral(case_b, referrer, idva, coordinator, days=9)
    page = sign_in_fully(coordinator).get("/referrals/triage/").content.decode()
    waiting = page.split("Waiting on the referrer", 1)[1]
    assert case_b.reference in waiting and case_a.reference not in waiting
    assert "9 days" in waiting and "Over a week" in waiting
    assert "Aisha Rahman" in waiting
    logged = AccessEvent.objects.filter(purpose="triage", case_reference=case_b.reference).values_list("fields", flat=True)
    assert ["name"] in [list(f) for f in logged]


def test_triage_pages_and_filters_by_risk(sign_in_fully, coordinator, referrer, idva, area):
    for n in range(52):
        referred(make_case(area, idva, referrer, name=f"Person {n}"), referrer, idva, yes=14 if n % 2 else 10)
    client = sign_in_fully(coordinator)
    first = client.get("/referrals/triage/").content.decode()
    assert first.count("Decide<span") == 50 and "Showing 1 to 50 of 52" in first
    assert client.get("/referrals/triage/", {"page": "2"}).content.decode().count("Decide<span") == 2
    assert client.get("/referrals/triage/", {"risk": "high"}).content.decode().count("Decide<span") == 26
    assert AccessEvent.objects.filter(purpose="triage").count() == 50 + 2 + 26


def test_a_match_referred_elsewhere_but_never_heard_says_referred_not_heard(
    sign_in_fully, coordinator, referrer, idva, police, area, other_area
):
    """The defect: triage said "heard at Charnwood on 3 August" of a case only referred there."""
    charnwood_referrer = make_person("charnwood_referrer", Role.REFERRER, idva, other_area)
    there = make_case(other_area, idva, charnwood_referrer, name="Sarah Mitchell", date_of_birth=date(1989, 3, 14))
    referred(there, charnwood_referrer, idva, on=date.today() - timedelta(days=20))
    here = make_case(area, idva, referrer, name="Sarah Mitchell", date_of_birth=date(1989, 3, 14))
    referred(here, referrer, idva)
    client = sign_in_fully(coordinator)
    page = client.get("/referrals/triage/").content.decode()
    assert "Referred to Charnwood on" in page and "not heard yet" in page
    assert "heard at Charnwood" not in page.lower()

    from demo.synthetic import held_meeting
    from meetings.models import AgendaItem

    chair = make_person("charnwood_chair", Role.CHAIR, police, other_area)
    heard_on = date.today() - timedelta(days=10)
    meeting = held_meeting(area=other_area, on=heard_on, chair=chair, coordinator=chair, agencies=[idva])
    AgendaItem.objects.create(meeting=meeting, case=there, section=2, position=1, added_because="made_cutoff", added_by=chair)
    page = client.get("/referrals/triage/").content.decode()
    assert f"Heard at Charnwood on {heard_on:%-d %B %Y}" in page or "Heard at Charnwood on" in page
    assert "Referred to Charnwood" not in page


def test_a_meeting_not_yet_begun_has_not_heard_the_case(coordinator, referrer, idva, police, area, other_area):
    from demo.synthetic import held_meeting
    from meetings.models import AgendaItem, Meeting

    chair = make_person("charnwood_chair", Role.CHAIR, police, other_area)
    there = make_case(other_area, idva, chair, name="Sarah Mitchell", date_of_birth=date(1989, 3, 14))
    referred(there, chair, idva, on=date.today() - timedelta(days=20))
    meeting = held_meeting(
        area=other_area,
        on=date.today() - timedelta(days=1),
        chair=chair,
        coordinator=chair,
        agencies=[idva],
        status=Meeting.Status.AGENDA_ISSUED,
    )
    AgendaItem.objects.create(meeting=meeting, case=there, section=2, position=1, added_because="made_cutoff", added_by=chair)
    here = make_case(area, idva, referrer, name="Sarah Mitchell", date_of_birth=date(1989, 3, 14))
    [(match, _)] = selectors.recent_matches_elsewhere(here.victim, date.today())
    assert match.heard_at is None


def test_the_action_tracker_filters_overdue_and_pages(sign_in_fully, coordinator, chair, case_a, case_b, area, idva, police):
    from demo.synthetic import held_meeting
    from meetings.models import Action

    meeting = held_meeting(area=area, on=date.today() - timedelta(days=30), chair=chair, coordinator=coordinator, agencies=[idva, police])
    for n in range(53):
        Action.objects.create(
            meeting=meeting,
            case=case_a if n else case_b,
            agency=idva,
            owner="IDVA team",
            description=f"Safety plan {n}",
            due_on=date.today() + timedelta(days=n - 2),
            created_by=coordinator,
        )
    client = sign_in_fully(coordinator)
    assert client.get("/meetings/actions/").content.decode().count("Safety plan") == 50
    overdue = client.get("/meetings/actions/", {"status": "overdue"}).content.decode()
    assert overdue.count("Safety plan") == 2
    by_case = client.get("/meetings/actions/", {"sort": "-reference", "status": "overdue"}).content.decode()
    assert 'aria-sort="descending"' in by_case
    assert by_case.index(case_b.reference) < by_case.index(case_a.reference) or case_b.reference > case_a.reference
