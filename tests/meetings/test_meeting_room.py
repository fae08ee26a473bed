"""The meeting room: the register (agencies present, apologies with or without their information,
the people there, observers and who chaired), moving from case to case in agenda order, each
agency's research offered into the minutes, and actions given to the owning agency's people or a
named role, with a note when they are done."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from audit.models import AccessEvent
from marac.models import Agency, AgencyKind, Role
from marac.viewer import Viewer
from meetings import services as meetings
from meetings.access import meeting_access_for
from meetings.forms import ActionUpdateForm, MinutesForm, agency_field, minutes_edits, shared_field
from meetings.models import Action, AgencyAttendance, Attendance, Meeting
from meetings.packs import pack_for
from tests.conftest import make_person
from tests.meetings.conftest import advance


@pytest.fixture
def started(rep_accepted, chair):
    return advance(meeting=rep_accepted, by=chair)


@pytest.fixture
def deputy(area, police):
    return make_person("deputy_chair", Role.CHAIR, police, area)


def register_post(meeting, *, chaired_by, police, idva, childrens_services, present=(), observers=""):
    return {
        "chaired_by": chaired_by.pk,
        agency_field(police.pk): "present",
        agency_field(idva.pk): "apologies_sent",
        agency_field(childrens_services.pk): "apologies",
        "present": [str(pk) for pk in present],
        "observers": observers,
    }


def test_the_chair_records_who_chaired_each_agencys_attendance_and_the_observers(
    sign_in_fully, started, chair, deputy, police, idva, childrens_services, agency_rep
):
    attendance = Attendance.objects.get(meeting=started, user=agency_rep)
    data = register_post(
        started,
        chaired_by=deputy,
        police=police,
        idva=idva,
        childrens_services=childrens_services,
        present=[attendance.pk],
        observers="Jo Bloggs, student social worker",
    )
    response = sign_in_fully(chair).post(f"/meetings/{started.pk}/register/", data)
    assert response.status_code == 302
    started.refresh_from_db()
    lines = dict(AgencyAttendance.objects.filter(meeting=started).values_list("agency__name", "status"))
    assert lines == {police.name: "present", idva.name: "apologies_sent", childrens_services.name: "apologies"}
    assert (started.chaired_by, started.observers) == (deputy, "Jo Bloggs, student social worker")
    assert Attendance.objects.get(pk=attendance.pk).present
    again = sign_in_fully(chair).get(f"/meetings/{started.pk}/register/")
    assert "Jo Bloggs, student social worker" in again.content.decode()
    initial = again.context["form"].initial
    assert (initial[agency_field(idva.pk)], initial["chaired_by"]) == ("apologies_sent", deputy.pk)


def test_the_minutes_say_who_chaired_who_was_there_who_sent_apologies_and_whether_their_information_came(
    started, chair, deputy, police, idva, childrens_services
):
    meetings.attendance_register(
        meeting=started,
        present=set(),
        agencies={police.pk: "present", idva.pk: "apologies_sent", childrens_services.pk: "apologies"},
        observers="Jo Bloggs, student social worker",
        chaired_by=deputy,
        by=chair,
    )
    started.refresh_from_db()
    html = pack_for(meeting_access_for(Viewer.of(chair), started.pk), "minutes").html
    assert "deputy_chair" in html
    assert f"<strong>Agencies present</strong> {police.name}" in html.replace("&#x27;", "'")
    assert f"{idva.name} (information sent)" in html.replace("&#x27;", "'")
    assert f"{childrens_services.name} (information not sent)" in html.replace("&#x27;", "'")
    assert "Jo Bloggs, student social worker" in html


def test_a_register_with_an_agency_left_out_is_refused_and_keeps_what_was_typed(
    sign_in_fully, started, chair, police, idva, childrens_services
):
    data = register_post(
        started, chaired_by=chair, police=police, idva=idva, childrens_services=childrens_services, observers="Kept <b>here</b>"
    )
    del data[agency_field(idva.pk)]
    response = sign_in_fully(chair).post(f"/meetings/{started.pk}/register/", data)
    page = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "Choose whether Loughborough Women&#x27;s Aid was present or sent apologies" in page
    assert "Kept &lt;b&gt;here&lt;/b&gt;" in page
    assert not AgencyAttendance.objects.exists()


def test_a_crafted_register_cannot_name_an_uninvited_agency_or_another_areas_chair(
    sign_in_fully, started, chair, police, idva, childrens_services, other_area
):
    housing = Agency.objects.create(name="District Housing", kind=AgencyKind.HOUSING)
    other_chair = make_person("other_chair", Role.CHAIR, police, other_area)
    data = register_post(started, chaired_by=other_chair, police=police, idva=idva, childrens_services=childrens_services)
    data[agency_field(housing.pk)] = "present"
    response = sign_in_fully(chair).post(f"/meetings/{started.pk}/register/", data)
    assert response.status_code == 200 and "Choose who chaired the meeting from the list" in response.content.decode()
    data["chaired_by"] = chair.pk
    assert sign_in_fully(chair).post(f"/meetings/{started.pk}/register/", data).status_code == 302
    assert not AgencyAttendance.objects.filter(agency=housing).exists()  # its box is not read
    with pytest.raises(ValidationError):
        meetings.attendance_register(meeting=started, present=set(), agencies={housing.pk: "present"}, by=chair)
    with pytest.raises(ValidationError):
        meetings.attendance_register(meeting=started, present=set(), chaired_by=other_chair, by=chair)


@pytest.mark.parametrize("who", ["agency_rep", "auditor", "other_coordinator", "uninvited_rep"])
def test_only_the_areas_coordinator_and_chair_keep_the_register(sign_in_fully, started, who, request, other_area, area, police):
    people = {
        "other_coordinator": lambda: make_person("other_coordinator", Role.COORDINATOR, police, other_area),
        "uninvited_rep": lambda: make_person(
            "housing_rep", Role.AGENCY_REP, Agency.objects.create(name="District Housing", kind=AgencyKind.HOUSING), area
        ),
    }
    person = people[who]() if who in people else request.getfixturevalue(who)
    client = sign_in_fully(person)
    expected = 403 if who == "agency_rep" else 404  # a representative sees the meeting; the others do not
    assert client.get(f"/meetings/{started.pk}/register/").status_code == expected
    assert client.post(f"/meetings/{started.pk}/register/", {"observers": "x"}).status_code == expected
    started.refresh_from_db()
    assert started.observers == "" and not AgencyAttendance.objects.exists()


def test_the_chair_moves_to_the_previous_and_next_case_in_agenda_order(sign_in_fully, started, chair, case_a, case_b):
    client = sign_in_fully(chair)
    first = client.get(f"/meetings/{started.pk}/cases/{case_a.reference}/").content.decode()
    assert f'href="/meetings/{started.pk}/cases/{case_b.reference}/" rel="next"' in first and 'rel="prev"' not in first
    second = client.get(f"/meetings/{started.pk}/cases/{case_b.reference}/").content.decode()
    assert f'href="/meetings/{started.pk}/cases/{case_a.reference}/" rel="prev"' in second and 'rel="next"' not in second


def test_next_and_previous_follow_the_agenda_order_not_the_case_numbers(sign_in_fully, issued, coordinator, chair, case_a, case_b):
    Meeting.objects.filter(pk=issued.pk).update(status=Meeting.Status.SCHEDULED)  # reorder before issue
    meetings.agenda_move(item=issued.agenda_items.get(case=case_b), up=True, by=coordinator)
    Meeting.objects.filter(pk=issued.pk).update(status=Meeting.Status.AGENDA_ISSUED)
    page = sign_in_fully(chair).get(f"/meetings/{issued.pk}/cases/{case_b.reference}/").content.decode()
    assert f'href="/meetings/{issued.pk}/cases/{case_a.reference}/" rel="next"' in page and 'rel="prev"' not in page


def test_removed_cases_are_skipped_when_moving_through_the_agenda(sign_in_fully, listed, coordinator, chair, case_a, case_b):
    meetings.agenda_remove(item=listed.agenda_items.get(case=case_b), because="added_in_error", by=coordinator)
    meetings.agenda_issue(meeting=listed, by=coordinator)
    page = sign_in_fully(chair).get(f"/meetings/{listed.pk}/cases/{case_a.reference}/").content.decode()
    assert 'rel="next"' not in page and case_b.reference not in page


@pytest.fixture
def researched(rep_accepted, agency_rep, childrens_services, case_a, chair):
    meetings.research_save(
        meeting=rep_accepted,
        case=case_a,
        agency=childrens_services,
        facts="Mia on a child in need plan",
        opinion="Worries growing",
        not_shared="Health records: no consent",
        by=agency_rep,
        expected_version=0,
    )
    return advance(meeting=rep_accepted, by=chair)


def test_each_agencys_research_is_offered_in_its_shared_by_box_but_never_what_it_did_not_share(
    sign_in_fully, researched, chair, case_a, childrens_services, police
):
    response = sign_in_fully(chair).get(f"/meetings/{researched.pk}/cases/{case_a.reference}/minutes/")
    form = response.context["form"]
    offered = form.initial[shared_field(childrens_services.name)]
    assert "Mia on a child in need plan" in offered and "Opinion: Worries growing" in offered
    assert "Health records" not in response.content.decode()
    assert not form.initial.get(shared_field(police.name))  # nothing returned, nothing offered
    event = AccessEvent.objects.filter(user=chair, purpose="record minutes").latest("pk")
    assert {"research.facts", "research.opinion"} <= set(event.fields) and "research.not_shared" not in event.fields


def test_saved_minutes_keep_their_words_and_show_the_research_beside_them(sign_in_fully, researched, chair, case_a, childrens_services):
    meetings.minutes_save(
        meeting=researched,
        case=case_a,
        information_shared={childrens_services.name: "Said at the meeting"},
        risks="",
        decisions=[],
        decision_notes="",
        by=chair,
        expected_version=0,
    )
    response = sign_in_fully(chair).get(f"/meetings/{researched.pk}/cases/{case_a.reference}/minutes/")
    key = shared_field(childrens_services.name)
    assert response.context["form"].initial[key] == "Said at the meeting"
    assert "research return said: Mia on a child in need plan" in response.content.decode()


def test_research_is_offered_only_to_the_minute_taker(sign_in_fully, researched, agency_rep, case_a):
    assert sign_in_fully(agency_rep).get(f"/meetings/{researched.pk}/cases/{case_a.reference}/minutes/").status_code == 403


def test_the_minutes_form_saves_the_offered_text_only_when_the_chair_posts_it(sign_in_fully, researched, chair, case_a, childrens_services):
    from meetings.models import CaseMinutes

    sign_in_fully(chair).get(f"/meetings/{researched.pk}/cases/{case_a.reference}/minutes/")
    assert not CaseMinutes.objects.exists()  # offering writes nothing
    data = {
        shared_field(childrens_services.name): "Mia on a child in need plan",
        "risks": "",
        "decision_notes": "",
        **MinutesForm.version_data(minutes_edits(researched, case_a), 0),
    }
    assert sign_in_fully(chair).post(f"/meetings/{researched.pk}/cases/{case_a.reference}/minutes/", data).status_code == 302
    assert CaseMinutes.objects.get().information_shared == {childrens_services.name: "Mia on a child in need plan"}


@pytest.fixture
def police_officer(area, police):
    return make_person("pc_owner", Role.AGENCY_REP, police, area)


def action_post(agency, owner, description="Flag the address"):
    due = date.today() + timedelta(days=14)
    return {
        "agency": agency.pk,
        "owner": owner,
        "description": description,
        "due_on_day": due.day,
        "due_on_month": due.month,
        "due_on_year": due.year,
    }


def test_an_action_is_given_to_one_of_the_owning_agencys_people(sign_in_fully, started, chair, case_a, police, police_officer, auditor):
    client = sign_in_fully(chair)
    url = f"/meetings/{started.pk}/cases/{case_a.reference}/actions/new/"
    page = client.get(url).content.decode()
    assert f'value="u{police_officer.pk}"' in page and "Duty IDVA" in page
    assert f'value="u{auditor.pk}"' not in page and f'value="u{chair.pk}"' not in page  # not front-line workers
    assert client.post(url, action_post(police, f"u{police_officer.pk}")).status_code == 302
    action = Action.objects.get()
    assert (action.owner_user, action.owner, action.owner_role) == (police_officer, "pc_owner", "")


def test_an_action_can_be_given_to_a_named_role(sign_in_fully, started, chair, case_a, idva):
    url = f"/meetings/{started.pk}/cases/{case_a.reference}/actions/new/"
    assert sign_in_fully(chair).post(url, action_post(idva, "rduty_idva")).status_code == 302
    action = Action.objects.get()
    assert (action.owner_user, action.owner_role, action.owner) == (None, "duty_idva", "Duty IDVA")


def test_a_crafted_post_cannot_give_an_action_to_another_agencys_person(sign_in_fully, started, chair, case_a, police, agency_rep):
    url = f"/meetings/{started.pk}/cases/{case_a.reference}/actions/new/"
    response = sign_in_fully(chair).post(url, action_post(police, f"u{agency_rep.pk}", description="Typed <script>x</script>"))
    page = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "Choose someone from Leicestershire Police, or a named role" in page
    assert "Typed &lt;script&gt;x&lt;/script&gt;" in page
    for junk in ("u99999999999999999999999", "rnot_a_role", "free text owner"):
        assert "govuk-error-summary" in sign_in_fully(chair).post(url, action_post(police, junk)).content.decode()
    assert not Action.objects.exists()
    with pytest.raises(ValidationError, match="Choose someone from"):
        meetings.action_add(
            meeting=started, case=case_a, agency=police, owner_user=agency_rep, description="x", due_on=date.today(), by=chair
        )
    with pytest.raises(ValidationError):
        meetings.action_add(meeting=started, case=case_a, agency=police, owner="Free text", description="x", due_on=date.today(), by=chair)


@pytest.mark.parametrize("who", ["agency_rep", "auditor", "other_coordinator"])
def test_only_the_coordinator_and_chair_choose_action_owners(
    sign_in_fully, started, case_a, police, police_officer, who, request, other_area
):
    person = (
        make_person("other_coordinator", Role.COORDINATOR, police, other_area)
        if who == "other_coordinator"
        else request.getfixturevalue(who)
    )
    client = sign_in_fully(person)
    url = f"/meetings/{started.pk}/cases/{case_a.reference}/actions/new/"
    assert client.get(url).status_code in (403, 404)
    assert client.post(url, action_post(police, f"u{police_officer.pk}")).status_code in (403, 404)
    assert not Action.objects.exists()


@pytest.fixture
def action(started, chair, case_a, police):
    return meetings.action_add(
        meeting=started, case=case_a, agency=police, owner_role="duty_officer", description="Flag", due_on=date.today(), by=chair
    )


def test_an_action_marked_done_needs_a_note(sign_in_fully, action, chair):
    response = sign_in_fully(chair).post(f"/meetings/actions/{action.pk}/", {"status": "done", "note": "  "})
    page = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page and "Write a note saying what was done" in page
    assert response.context["form"]["status"].value() == "done"  # the choice made is kept
    action.refresh_from_db()
    assert action.status == "open" and not action.updates.exists()
    with pytest.raises(ValidationError, match="what was done"):
        meetings.action_update(action=action, status="done", note="", by=chair)
    assert sign_in_fully(chair).post(f"/meetings/actions/{action.pk}/", {"status": "done", "note": "Flag in place"}).status_code == 302
    action.refresh_from_db()
    assert action.status == "done" and action.updates.get().note == "Flag in place"


def test_other_statuses_need_no_note():
    assert ActionUpdateForm({"status": "not_possible", "note": ""}).is_valid()
    assert not ActionUpdateForm({"status": "done", "note": ""}).is_valid()
