"""What a meeting decided about a case, and each action's text, owner and status, reach only the
people the field policy lets read them, on every surface (case page, meeting pages, the action
tracker, packs, the auditor's workspace and its export); the "Repeat windows closing" list is the
coordinator's and chair's alone; a representative sees only cases on an agenda whose
confidentiality statement they accepted themselves (docs/adr/0021)."""

import time
from datetime import date, timedelta

import pytest
from django.utils import timezone

from marac.models import Agency, AgencyKind, Role
from marac.periods import add_months
from marac.reauth import REAUTHENTICATED_AT
from marac.viewer import Viewer
from meetings import services as meetings
from meetings.access import meeting_access_for
from meetings.models import Action
from meetings.packs import pack_for
from tests.conftest import make_case, make_person
from tests.meetings.conftest import advance
from tests.meetings.test_windows_closing import referred

# What only the meeting may read: decision labels, an owner's name and action text. A status's
# label is checked where no filter lists every status anyway (the case and audit pages).
CONTENT = ("Referral to MAPPA", "Clare", "Lee Grant", "Visit the children at home")
STATUS = "Not possible"


@pytest.fixture
def owner(area, childrens_services):
    """One of children's social care's people who owns an action and never signs in here."""
    person = make_person("lee", Role.AGENCY_REP, childrens_services, area)
    person.first_name, person.last_name = "Lee", "Grant"
    person.save()
    return person


@pytest.fixture
def heard(rep_accepted, case_a, chair, owner, childrens_services, police):
    """case_a heard: decisions recorded, an action for children's social care owned by Lee Grant,
    and a police action found not possible; minutes issued."""
    meeting = advance(meeting=rep_accepted, by=chair)
    meetings.minutes_save(
        meeting=meeting,
        case=case_a,
        information_shared={},
        risks="",
        decisions=["mappa", "dvds"],
        decision_notes="",
        by=chair,
        expected_version=0,
    )
    due = date.today() + timedelta(days=7)
    meetings.action_add(
        meeting=meeting,
        case=case_a,
        agency=childrens_services,
        owner_user=owner,
        description="Visit the children at home",
        due_on=due,
        by=chair,
    )
    police_action = meetings.action_add(
        meeting=meeting, case=case_a, agency=police, owner_role="duty_officer", description="Flag the address", due_on=due, by=chair
    )
    meetings.action_update(action=police_action, status=Action.Status.NOT_POSSIBLE, note="Moved away", by=chair)
    advance(meeting=meeting, by=chair)
    return meetings.minutes_issue(meeting=meeting, by=chair)


def shown(client, *urls) -> str:
    pages = []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        pages.append(response.content.decode())
    return "\n".join(pages)


def reauthenticated(client) -> None:
    """A security code entered a moment ago, as the confirm step records it (marac.reauth)."""
    session = client.session
    session[REAUTHENTICATED_AT] = time.time()
    session.save()


def test_the_coordinator_and_chair_see_decisions_owners_and_statuses(heard, case_a, coordinator, chair, sign_in_fully):
    for person in (coordinator, chair):
        page = shown(sign_in_fully(person), f"/cases/{case_a.reference}/", f"/meetings/{heard.pk}/cases/{case_a.reference}/")
        assert all(text in page for text in (*CONTENT, STATUS)), person.username


def test_the_auditor_sees_the_case_was_heard_but_not_what_was_decided_or_agreed(heard, case_a, auditor, chair, sign_in_fully):
    client = sign_in_fully(auditor)
    page = shown(client, f"/cases/{case_a.reference}/", f"/audit/cases/{case_a.reference}/", f"/audit/people/{chair.username}/")
    assert "Withheld" in page  # the records exist, and say so
    reauthenticated(client)  # the export may ask for a fresh security code first
    page += shown(client, "/audit/export.csv")
    assert [text for text in (*CONTENT, STATUS) if text in page] == []
    assert client.get(f"/meetings/{heard.pk}/").status_code == 404


def test_the_auditors_tracker_lists_no_action(heard, case_a, auditor, sign_in_fully):
    page = shown(sign_in_fully(auditor), "/meetings/actions/")
    assert case_a.reference not in page and [text for text in CONTENT if text in page] == []


def test_a_representative_reads_their_agencys_action_but_not_the_decisions_owner_of_another(heard, case_a, agency_rep, sign_in_fully):
    page = shown(sign_in_fully(agency_rep), f"/cases/{case_a.reference}/", "/meetings/actions/")
    # MEETING_REP reads the minutes and the meeting's actions: the statement was accepted.
    assert "Referral to MAPPA" in page and "Visit the children at home" in page and "Lee Grant" in page


def test_a_representative_of_an_uninvited_agency_sees_nothing(heard, case_a, area, sign_in_fully):
    housing = Agency.objects.create(name="Coalville Housing", kind=AgencyKind.HOUSING)
    outsider = make_person("housing_rep", Role.AGENCY_REP, housing, area)
    client = sign_in_fully(outsider)
    for url in (f"/meetings/{heard.pk}/", f"/cases/{case_a.reference}/", f"/meetings/{heard.pk}/cases/{case_a.reference}/"):
        assert client.get(url).status_code == 404, url
    page = shown(client, "/meetings/actions/", "/")
    assert case_a.reference not in page and [text for text in CONTENT if text in page] == []


def test_a_representative_who_has_not_accepted_the_statement_sees_no_case(heard, case_a, area, childrens_services, sign_in_fully):
    """A colleague at the same agency: the agency is invited and owns an action, but this person
    accepted no statement, so no case reference, action or decision reaches them."""
    colleague = make_person("colleague", Role.AGENCY_REP, childrens_services, area)
    client = sign_in_fully(colleague)
    page = shown(client, f"/meetings/{heard.pk}/", "/meetings/actions/", "/")
    assert case_a.reference not in page and [text for text in CONTENT if text in page] == []
    assert client.get(f"/cases/{case_a.reference}/").status_code == 404
    action = Action.objects.get(agency=childrens_services)
    assert client.get(f"/meetings/actions/{action.pk}/").status_code == 404
    reauthenticated(client)
    for kind in ("agenda", "pack", "minutes", "actions"):
        assert client.get(f"/meetings/{heard.pk}/documents/{kind}.pdf").status_code == 403, kind


def test_the_person_an_action_names_sees_that_action_without_having_attended(heard, case_a, owner, childrens_services, sign_in_fully):
    page = shown(sign_in_fully(owner), "/meetings/actions/")
    assert "Visit the children at home" in page and "Flag the address" not in page
    assert "Referral to MAPPA" not in page  # the action, not the minutes


@pytest.fixture
def closing(issued, area, idva, referrer):
    """A case off this agenda whose 12-month window closes soon after the meeting."""
    case = make_case(area, idva, referrer, name="Window Closing")
    day = timezone.localtime(issued.starts_at).date()
    referred(case, on=add_months(day + timedelta(days=10), -12), referrer=referrer, agency=idva)
    return case


def test_the_windows_closing_list_is_for_the_coordinator_and_chair_only(
    closing, rep_accepted, coordinator, chair, agency_rep, sign_in_fully
):
    for person in (coordinator, chair):
        assert closing.reference in shown(sign_in_fully(person), f"/meetings/{rep_accepted.pk}/"), person.username
    page = shown(sign_in_fully(agency_rep), f"/meetings/{rep_accepted.pk}/")
    assert closing.reference not in page and "Repeat windows closing" not in page


def test_the_agenda_pdf_lists_closing_windows_for_the_coordinator_only(closing, rep_accepted, coordinator, agency_rep):
    def agenda_html(user) -> str:
        return pack_for(meeting_access_for(Viewer.of(user), rep_accepted.pk), "agenda").html

    assert closing.reference in agenda_html(coordinator)
    html = agenda_html(agency_rep)
    assert closing.reference not in html and "Repeat windows closing" not in html


def test_packs_show_decisions_and_statuses_through_the_policy(heard, coordinator, agency_rep):
    minutes = pack_for(meeting_access_for(Viewer.of(coordinator), heard.pk), "minutes")
    assert "Referral to MAPPA" in minutes.html and "Not possible" in minutes.html and "Lee Grant" in minutes.html
    assert {"minutes.decisions", "action.owner", "action.status"} <= set().union(*minutes.reads.values())
    extract = pack_for(meeting_access_for(Viewer.of(agency_rep), heard.pk), "actions").html
    assert "Lee Grant" in extract and "Flag the address" not in extract


def test_reading_decisions_and_owners_is_logged_as_fields_revealed(heard, case_a, coordinator, sign_in_fully):
    from audit.models import AccessEvent

    shown(sign_in_fully(coordinator), f"/cases/{case_a.reference}/")
    fields = set().union(*AccessEvent.objects.filter(event="case_read", case_reference=case_a.reference).values_list("fields", flat=True))
    assert {"minutes.decisions", "action.owner", "action.status"} <= fields


def test_a_carried_over_action_shows_only_to_a_representative_who_attended_its_meeting(
    sign_in_fully, area, idva, referrer, coordinator, chair, agency_rep, childrens_services, time_machine
):
    def meeting_on(days: int):
        return meetings.meeting_schedule(
            area=area,
            starts_at=timezone.now() + timedelta(days=days),
            venue="Room",
            online=False,
            chair=chair,
            coordinator=coordinator,
            agencies=[childrens_services],
            by=coordinator,
        )

    earlier, elsewhere = meeting_on(2), make_case(area, idva, referrer, name="Heard Without Them")
    meetings.agenda_add(meeting=earlier, case=elsewhere, because="urgent", by=coordinator)
    meetings.agenda_issue(meeting=earlier, by=coordinator)
    advance(meeting=earlier, by=chair)
    meetings.action_add(
        meeting=earlier,
        case=elsewhere,
        agency=childrens_services,
        owner_role="team_manager",
        description="Their agency's task",
        due_on=date.today() + timedelta(days=5),
        by=chair,
    )
    time_machine.move_to(timezone.now() + timedelta(days=3))
    later = meeting_on(20)
    meetings.agenda_add(meeting=later, case=make_case(area, idva, referrer, name="On The Agenda"), because="urgent", by=coordinator)
    meetings.agenda_issue(meeting=later, by=coordinator)
    meetings.confidentiality_accept(meeting=later, user=agency_rep, agency=childrens_services)
    page = shown(sign_in_fully(agency_rep), f"/meetings/{later.pk}/")
    assert elsewhere.reference not in page and "Their agency" not in page
    assert "Their agency" in shown(sign_in_fully(coordinator), f"/meetings/{later.pk}/")
