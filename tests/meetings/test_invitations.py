"""A coordinator changes which agencies are invited until the meeting ends: an agency invited late
reaches the meeting, one withdrawn loses it and its cases at once, and nobody else can change it."""

import re

import pytest
from django.core.exceptions import ValidationError

from audit.models import AccessEvent
from marac.models import Agency, AgencyKind, Membership, Role
from meetings import services as meetings
from meetings.forms import InvitationsChangeForm, MinutesForm, invitations_edits, minutes_edits, shared_field
from meetings.models import Attendance, CaseMinutes, Meeting
from referrals.models import CaseUserObjectPermission
from tests.conftest import make_person
from tests.meetings.conftest import advance


def url(meeting) -> str:
    return f"/meetings/{meeting.pk}/invitations/"


def invited_ids(meeting) -> set[int]:
    return set(Meeting.objects.get(pk=meeting.pk).invited_agencies.values_list("pk", flat=True))


def chosen(meeting, *agencies) -> dict:
    """What the form sends: the ticked agencies and those invited when it was opened (now), signed."""
    opened = InvitationsChangeForm.version_data(invitations_edits(meeting), invited_ids(meeting))
    return {"agencies": [agency.pk for agency in agencies], **opened}


def invited(meeting) -> set[str]:
    return set(Meeting.objects.get(pk=meeting.pk).invited_agencies.values_list("name", flat=True))


@pytest.fixture
def probation(db):
    return Agency.objects.create(name="Probation Service", kind=AgencyKind.OTHER)


@pytest.fixture
def probation_rep(area, probation):
    return make_person("probation_rep", Role.AGENCY_REP, probation, area)


def test_an_agency_invited_after_the_agenda_is_issued_reaches_the_meeting_and_its_cases(
    sign_in_fully, issued, coordinator, probation, probation_rep, police, idva, childrens_services, case_a
):
    rep = sign_in_fully(probation_rep)
    assert rep.get(f"/meetings/{issued.pk}/").status_code == 404
    page = sign_in_fully(coordinator).get(f"/meetings/{issued.pk}/")
    assert url(issued).encode() in page.content  # the Change link on the meeting page
    response = sign_in_fully(coordinator).post(url(issued), chosen(issued, police, idva, childrens_services, probation))
    assert response.status_code == 302
    assert "Probation Service" in invited(issued)
    rep = sign_in_fully(probation_rep)
    assert rep.get(f"/meetings/{issued.pk}/").status_code == 200
    assert rep.get(f"/cases/{case_a.reference}/").status_code == 404  # not before the statement
    assert rep.post(f"/meetings/{issued.pk}/confidentiality/", {"agency": probation.pk, "accept": "on"}).status_code == 302
    assert rep.get(f"/cases/{case_a.reference}/").status_code == 200
    event = AccessEvent.objects.get(event="meeting_agency_invited")
    assert event.user == coordinator and event.purpose == f"meeting {issued.pk}: agency {probation.pk}"


def test_a_withdrawn_agencys_representatives_lose_the_meeting_and_its_cases_at_once(
    sign_in_fully, rep_accepted, coordinator, agency_rep, police, idva, childrens_services, case_a
):
    assert CaseUserObjectPermission.objects.filter(user=agency_rep, content_object=case_a).exists()
    response = sign_in_fully(coordinator).post(url(rep_accepted), chosen(rep_accepted, police, idva))
    assert response.status_code == 302
    assert invited(rep_accepted) == {police.name, idva.name}
    assert not CaseUserObjectPermission.objects.filter(user=agency_rep, content_object=case_a).exists()
    rep = sign_in_fully(agency_rep)
    assert rep.get(f"/meetings/{rep_accepted.pk}/").status_code == 404
    assert rep.get(f"/cases/{case_a.reference}/").status_code == 404
    assert AccessEvent.objects.filter(
        event="meeting_agency_withdrawn", purpose=f"meeting {rep_accepted.pk}: agency {childrens_services.pk}"
    ).exists()


def test_the_change_has_history_naming_the_coordinator(sign_in_fully, issued, coordinator, police, idva):
    sign_in_fully(coordinator).post(url(issued), chosen(issued, police, idva))
    latest = Meeting.history.filter(id=issued.pk).latest("history_date")
    assert latest.history_user == coordinator
    assert set(latest.invited_agencies.values_list("agency__name", flat=True)) == {police.name, idva.name}


def test_no_agency_or_an_absurd_one_is_a_clear_error_and_changes_nothing(sign_in_fully, issued, coordinator, police):
    client = sign_in_fully(coordinator)
    before = invited(issued)
    opened = chosen(issued)  # the version only: no agency ticked
    for data in ({}, {"agencies": ["99999999999999999999999"]}, {"agencies": ["x"]}, {"agencies": [str(police.pk), "-1"]}):
        response = client.post(url(issued), {**opened, **data})
        assert response.status_code == 200 and b"govuk-error-summary" in response.content, data
    assert b"Invite at least one agency" in client.post(url(issued), opened).content
    assert invited(issued) == before


def test_a_change_someone_else_saved_meanwhile_is_not_undone(
    sign_in_fully, issued, coordinator, police, idva, childrens_services, probation
):
    client = sign_in_fully(coordinator)
    form_as_opened = chosen(issued, police, idva, childrens_services, probation)  # adding Probation
    meetings.meeting_invitations_change(  # meanwhile
        meeting=issued, agencies=[police, idva], by=coordinator, expected_version=invited_ids(issued)
    )
    response = client.post(url(issued), form_as_opened)
    assert response.status_code == 200
    assert b"Someone else changed the invitations" in response.content
    assert invited(issued) == {police.name, idva.name}  # neither undone nor overwritten
    ticked = re.findall(r'<input[^>]*name="agencies"[^>]*value="(\d+)"[^>]*checked', response.content.decode())
    assert set(ticked) == {str(a.pk) for a in (police, idva, childrens_services, probation)}  # the person's ticks stay
    # The form now carries the invitations as they are, so saving again is deliberate and goes through.
    assert client.post(url(issued), chosen(issued, police, idva, childrens_services, probation)).status_code == 302
    assert invited(issued) == {police.name, idva.name, childrens_services.name, probation.name}


@pytest.mark.parametrize("opened", [None, "", "x", "1,,2", "1;DROP", "9" * 2001])
def test_a_missing_or_tampered_record_of_what_was_opened_is_a_clear_error(sign_in_fully, issued, coordinator, police, opened):
    data = {"agencies": [police.pk]} if opened is None else {"agencies": [police.pk], "row_version": opened}
    response = sign_in_fully(coordinator).post(url(issued), data)
    assert response.status_code == 200 and b"This form is out of date" in response.content
    assert invited(issued) != {police.name}


def test_invitations_are_fixed_once_the_meeting_has_ended(sign_in_fully, issued, coordinator, chair, police, idva, childrens_services):
    advance(meeting=issued, by=chair)
    advance(meeting=issued, by=chair)  # minutes in draft: the meeting has ended
    client = sign_in_fully(coordinator)
    assert url(issued).encode() not in client.get(f"/meetings/{issued.pk}/").content
    for response in (client.get(url(issued), follow=True), client.post(url(issued), chosen(issued, police), follow=True)):
        assert response.redirect_chain[-1][0] == f"/meetings/{issued.pk}/"
        assert b"cannot be changed once the meeting has ended" in response.content
    assert invited(issued) == {police.name, idva.name, childrens_services.name}


@pytest.mark.parametrize("persona", ["chair", "agency_rep", "auditor", "referrer"])
def test_only_the_areas_coordinator_changes_invitations(request, sign_in_fully, rep_accepted, persona, police):
    client = sign_in_fully(request.getfixturevalue(persona))
    before = invited(rep_accepted)
    assert client.get(url(rep_accepted)).status_code in (403, 404)
    assert client.post(url(rep_accepted), chosen(rep_accepted, police)).status_code in (403, 404)
    assert invited(rep_accepted) == before


def test_another_areas_coordinator_gets_the_same_404_as_for_no_meeting(sign_in_fully, issued, other_area, police, idva, childrens_services):
    other = make_person("other_coordinator", Role.COORDINATOR, police, other_area)
    client = sign_in_fully(other)
    assert client.post(url(issued), chosen(issued, police)).status_code == 404
    assert client.get("/meetings/999999/invitations/").status_code == 404
    assert invited(issued) == {police.name, idva.name, childrens_services.name}


def test_someone_for_two_agencies_accepts_again_for_the_one_still_invited(
    sign_in_fully, rep_accepted, coordinator, agency_rep, area, police, idva, childrens_services, case_a
):
    Membership.objects.create(user=agency_rep, agency=idva, area=area, role=Role.AGENCY_REP)  # a second hat
    meetings.meeting_invitations_change(  # withdraws theirs
        meeting=rep_accepted, agencies=[police, idva], by=coordinator, expected_version=invited_ids(rep_accepted)
    )
    rep = sign_in_fully(agency_rep)
    page = rep.get(f"/meetings/{rep_accepted.pk}/").content.decode()
    assert "You need to accept the confidentiality statement" in page and case_a.reference not in page
    assert rep.get(f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/").status_code in (403, 404)
    assert rep.get(f"/cases/{case_a.reference}/").status_code == 404
    assert rep.post(f"/meetings/{rep_accepted.pk}/confidentiality/", {"agency": idva.pk, "accept": "on"}).status_code == 302
    attendance = Attendance.objects.get(meeting=rep_accepted, user=agency_rep)
    assert attendance.agency == idva and attendance.history.count() == 2  # the first acceptance is kept in history
    assert rep.get(f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/").status_code == 200


def test_accepting_for_an_agency_withdrawn_a_moment_ago_is_refused(issued, coordinator, agency_rep, police, idva, childrens_services):
    meetings.meeting_invitations_change(meeting=issued, agencies=[police, idva], by=coordinator, expected_version=invited_ids(issued))
    with pytest.raises(ValidationError, match="not invited"):
        meetings.confidentiality_accept(meeting=issued, user=agency_rep, agency=childrens_services)
    assert not Attendance.objects.exists()


def test_what_a_withdrawn_agency_said_stays_in_the_minutes(
    sign_in_fully, rep_accepted, chair, coordinator, police, idva, childrens_services, case_a
):
    advance(meeting=rep_accepted, by=chair)
    client = sign_in_fully(chair)
    minutes_url = f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/minutes/"
    said = {
        shared_field(childrens_services.name): "Two children on plans",
        shared_field(police.name): "Three call-outs",
        "risks": "R",
        **MinutesForm.version_data(minutes_edits(rep_accepted, case_a), 0),
    }
    assert client.post(minutes_url, said).status_code == 302
    meetings.meeting_invitations_change(
        meeting=rep_accepted, agencies=[police, idva], by=coordinator, expected_version=invited_ids(rep_accepted)
    )
    page = client.get(minutes_url).content.decode()
    assert "Two children on plans" in page  # still on the form, under its own agency
    again = {**said, "risks": "R2", **MinutesForm.version_data(minutes_edits(rep_accepted, case_a), CaseMinutes.objects.get().row_version)}
    assert client.post(minutes_url, again).status_code == 302
    assert CaseMinutes.objects.get().information_shared[childrens_services.name] == "Two children on plans"
