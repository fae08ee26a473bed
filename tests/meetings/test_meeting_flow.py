"""The meeting from scheduling to issued minutes, through the pages a coordinator, a
representative and the chair use."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from audit.models import AccessEvent
from marac.models import Role
from meetings import services as meetings
from meetings.forms import MinutesForm, ResearchForm, minutes_edits, research_edits, shared_field
from meetings.models import Action, AgendaItem, Attendance, CaseMinutes, Meeting, ReferralListing, ResearchReturn
from meetings.selectors import hearing_dates
from referrals import services
from referrals.models import Referral
from tests.conftest import make_case, make_person, sign_in_with_both_factors
from tests.meetings.conftest import accepted, advance, on_its_day


def test_a_coordinator_schedules_a_meeting_and_accepted_referrals_are_listed_for_it(
    sign_in_fully, coordinator, chair, area, police, idva, childrens_services, case_a, referrer
):
    from tests.meetings.conftest import accepted

    client = sign_in_fully(coordinator)
    day = date.today() + timedelta(days=30)
    response = client.post(
        "/meetings/new/",
        {
            "area": area.pk,
            "day_day": day.day,
            "day_month": day.month,
            "day_year": day.year,
            "starts": "09:30",
            "venue": "Room 4",
            "chair": chair.pk,
            "agencies": [police.pk, idva.pk, childrens_services.pk],
        },
    )
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/meetings/{meeting.pk}/"
    referral = accepted(case_a, referrer=referrer, agency=idva, coordinator=coordinator)
    # accepted well before the cut-off: heard at the next meeting
    assert hearing_dates([referral]) == {referral.pk: timezone.localtime(meeting.starts_at).date()}
    client.post(f"/meetings/{meeting.pk}/agenda/build/")
    assert list(meeting.agenda_items.values_list("case__reference", flat=True)) == [case_a.reference]
    page = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "Sarah Mitchell" in page and case_a.reference in page


def test_scheduling_refuses_bad_input_and_keeps_what_was_typed(sign_in_fully, coordinator, chair, area, police):
    client = sign_in_fully(coordinator)
    response = client.post(
        "/meetings/new/",
        {
            "area": area.pk,
            "day_day": "31",
            "day_month": "2",
            "day_year": "2027",
            "starts": "25:99",
            "venue": "Room <script>",
            "chair": chair.pk,
            "agencies": [police.pk],
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "Enter the start time as hours and minutes" in page and "Room &lt;script&gt;" in page
    assert not Meeting.objects.exists()


def test_the_agenda_lists_children_cases_first(listed, case_a, case_b, referrer):
    from referrals import services

    services.household_member_add(case=case_b, details={"name": "Child B"}, is_child=True, by=referrer, today=date.today())
    from meetings import services as meetings

    meetings.agenda_remove(item=listed.agenda_items.get(case=case_b), because="added_in_error", by=listed.coordinator)
    meetings.agenda_add(meeting=listed, case=case_b, because="review", by=listed.coordinator)
    sections = dict(listed.agenda_items.filter(removed_at=None).values_list("case__reference", "section"))
    assert sections == {case_b.reference: AgendaItem.Section.CHILDREN, case_a.reference: AgendaItem.Section.ADULTS}


def test_a_representative_sees_no_case_content_until_they_accept_the_statement(
    sign_in_fully, issued, agency_rep, case_a, childrens_services
):
    client = sign_in_fully(agency_rep)
    before = client.get(f"/meetings/{issued.pk}/").content.decode()
    assert "Sarah Mitchell" not in before and case_a.reference not in before and "confidentiality statement" in before
    assert client.get(f"/meetings/{issued.pk}/cases/{case_a.reference}/").status_code == 403
    assert client.get(f"/cases/{case_a.reference}/").status_code == 404  # not granted the case either
    assert client.get(f"/meetings/{issued.pk}/documents/pack.pdf").status_code == 403
    response = client.post(f"/meetings/{issued.pk}/confidentiality/", {"agency": childrens_services.pk, "accept": "on"})
    assert response.status_code == 302
    attendance = Attendance.objects.get(meeting=issued, user=agency_rep)
    assert attendance.confidentiality_accepted_at is not None
    after = client.get(f"/meetings/{issued.pk}/").content.decode()
    assert "Sarah Mitchell" in after and "14 Belvoir Road" not in after
    assert client.get(f"/cases/{case_a.reference}/").status_code == 200


def test_the_statement_must_be_ticked(sign_in_fully, issued, agency_rep, childrens_services):
    response = sign_in_fully(agency_rep).post(f"/meetings/{issued.pk}/confidentiality/", {"agency": childrens_services.pk})
    assert response.status_code == 200 and "You must accept the confidentiality statement" in response.content.decode()
    assert not Attendance.objects.exists()


def test_a_scheduled_meeting_is_invisible_to_representatives(sign_in_fully, listed, agency_rep):
    assert sign_in_fully(agency_rep).get(f"/meetings/{listed.pk}/").status_code == 404


def test_research_then_minutes_then_issue_locks_them(sign_in_fully, rep_accepted, agency_rep, chair, case_a, police, client):
    meeting = rep_accepted
    sign_in_fully(agency_rep)
    response = client.post(
        f"/meetings/{meeting.pk}/cases/{case_a.reference}/research/",
        {
            "facts": "Two children on a plan",
            "opinion": "Escalating",
            "not_shared": "Health details: consent",
            **ResearchForm.version_data(research_edits(meeting, case_a, agency_rep.memberships.get().agency), 0),
        },
    )
    assert response.status_code == 302
    assert ResearchReturn.objects.get().facts == "Two children on a plan"
    sign_in_with_both_factors(client, chair)
    on_its_day(meeting)
    client.post(f"/meetings/{meeting.pk}/advance/")  # start the meeting
    page = client.get(f"/meetings/{meeting.pk}/cases/{case_a.reference}/").content.decode()
    assert "Health details: consent" in page  # the chair reads what was not shared, and why
    minutes = {
        "risks": "Stalking at work",
        "decisions": ["mappa"],
        "decision_notes": "Refer today",
        shared_field(police.name): "3 call-outs",
        **MinutesForm.version_data(minutes_edits(meeting, case_a), 0),
    }
    assert client.post(f"/meetings/{meeting.pk}/cases/{case_a.reference}/minutes/", minutes).status_code == 302
    due = date.today() + timedelta(days=14)
    action = {
        "agency": police.pk,
        "owner": "rduty_officer",
        "description": "Flag the address",
        "due_on_day": due.day,
        "due_on_month": due.month,
        "due_on_year": due.year,
    }
    assert client.post(f"/meetings/{meeting.pk}/cases/{case_a.reference}/actions/new/", action).status_code == 302
    client.post(f"/meetings/{meeting.pk}/advance/")  # end it
    client.post(f"/meetings/{meeting.pk}/minutes/issue/")
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.MINUTES_ISSUED
    refused = client.post(f"/meetings/{meeting.pk}/cases/{case_a.reference}/minutes/", {**minutes, "risks": "Rewritten"})
    assert "can no longer be changed" in refused.content.decode()
    assert CaseMinutes.objects.get().risks == "Stalking at work"
    assert CaseMinutes.objects.get().information_shared[police.name] == "3 call-outs"
    client.post(f"/meetings/{meeting.pk}/cases/{case_a.reference}/addendum/", {"text": "The call-outs were four"})
    record = CaseMinutes.objects.get()
    assert [a.text for a in record.addenda.all()] == ["The call-outs were four"]
    assert record.addenda.get().history.first().history_user == chair
    assert Action.objects.get().description == "Flag the address"


def test_other_agencies_never_read_what_an_agency_chose_not_to_share(sign_in_fully, rep_accepted, agency_rep, case_a, police, area):
    from marac.models import Role
    from meetings import services as meetings
    from tests.conftest import make_person

    meetings.research_save(
        meeting=rep_accepted,
        case=case_a,
        agency=agency_rep.memberships.get().agency,
        facts="F",
        opinion="O",
        not_shared="SECRET REASON",
        by=agency_rep,
        expected_version=0,
    )
    police_rep = make_person("police_rep", Role.AGENCY_REP, police, area)
    meetings.confidentiality_accept(meeting=rep_accepted, user=police_rep, agency=police)
    page = sign_in_fully(police_rep).get(f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/").content.decode()
    assert "F" in page and "SECRET REASON" not in page and "Withheld" in page


def test_a_representative_updates_only_their_own_agencys_actions(
    sign_in_fully, rep_accepted, agency_rep, chair, case_a, police, childrens_services
):
    from meetings import services as meetings

    advance(meeting=rep_accepted, by=chair)
    theirs = meetings.action_add(
        meeting=rep_accepted,
        case=case_a,
        agency=childrens_services,
        owner_role="duty_officer",
        description="Visit",
        due_on=date.today(),
        by=chair,
    )
    other = meetings.action_add(
        meeting=rep_accepted, case=case_a, agency=police, owner_role="duty_officer", description="Flag", due_on=date.today(), by=chair
    )
    advance(meeting=rep_accepted, by=chair)
    meetings.minutes_issue(meeting=rep_accepted, by=chair)  # representatives track actions once the minutes are issued
    client = sign_in_fully(agency_rep)
    assert client.post(f"/meetings/actions/{other.pk}/", {"status": "done"}).status_code == 404
    assert client.post(f"/meetings/actions/{theirs.pk}/", {"status": "done", "note": "Visited"}).status_code == 302
    theirs.refresh_from_db()
    other.refresh_from_db()
    assert (theirs.status, other.status) == ("done", "open")
    assert theirs.updates.get().note == "Visited"


def test_incomplete_actions_are_carried_to_the_next_agenda_and_overdue_ones_marked(
    sign_in_fully, rep_accepted, chair, coordinator, case_a, police, area, time_machine
):
    from django.utils import timezone

    from meetings import services as meetings

    advance(meeting=rep_accepted, by=chair)
    meetings.action_add(
        meeting=rep_accepted,
        case=case_a,
        agency=police,
        owner_role="duty_officer",
        description="Flag the address",
        due_on=date.today() + timedelta(days=1),
        by=chair,
    )
    time_machine.move_to(timezone.now() + timedelta(days=40))
    later = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=7),
        venue="Room 4",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=[police],
        by=coordinator,
    )
    page = sign_in_fully(coordinator).get(f"/meetings/{later.pk}/").content.decode()
    assert "Flag the address" in page and "Overdue" in page


def test_access_events_name_the_fields_a_meeting_page_revealed(sign_in_fully, rep_accepted, agency_rep, case_a):
    sign_in_fully(agency_rep).get(f"/meetings/{rep_accepted.pk}/")
    event = AccessEvent.objects.filter(event="case_read", case_reference=case_a.reference, user=agency_rep).get()
    assert event.fields == ["name"] and "meeting" in event.purpose


def test_accepting_after_the_cutoff_waits_for_the_following_meeting(meeting, case_a, referrer, idva, coordinator, time_machine):
    from django.utils import timezone

    from meetings.selectors import cutoff_for
    from tests.meetings.conftest import accepted

    time_machine.move_to(
        timezone.make_aware(timezone.datetime.combine(cutoff_for(meeting) + timedelta(days=1), timezone.datetime.min.time()))
        + timedelta(hours=10)
    )
    referral = accepted(case_a, referrer=referrer, agency=idva, coordinator=coordinator)
    assert hearing_dates([referral]) == {} and Referral.objects.get().status == "accepted"


def test_my_referrals_shows_the_meeting_date_and_the_agencys_open_actions(
    sign_in_fully, rep_accepted, referrer, chair, case_a, idva, police
):
    from meetings import services as meetings

    advance(meeting=rep_accepted, by=chair)
    meetings.action_add(
        meeting=rep_accepted,
        case=case_a,
        agency=idva,
        owner_role="duty_officer",
        description="Safety plan review",
        due_on=date.today() + timedelta(days=5),
        by=chair,
    )
    meetings.action_add(
        meeting=rep_accepted,
        case=case_a,
        agency=police,
        owner_role="duty_officer",
        description="Police only",
        due_on=date.today() + timedelta(days=5),
        by=chair,
    )
    page = sign_in_fully(referrer).get("/referrals/").content.decode()
    assert f"{timezone.localtime(rep_accepted.starts_at):%-d %B %Y}" in page
    assert "Safety plan review" in page and "Police only" not in page


def test_minutes_and_actions_follow_a_transferred_case_to_its_new_area(
    sign_in_fully, rep_accepted, chair, coordinator, case_a, police, other_area
):
    from marac.models import Role
    from meetings import services as meetings
    from referrals import transfers
    from tests.conftest import make_person

    advance(meeting=rep_accepted, by=chair)
    meetings.minutes_save(
        meeting=rep_accepted,
        case=case_a,
        information_shared={},
        risks="Stalking at work",
        decisions=["dvds"],
        decision_notes="",
        by=chair,
        expected_version=0,
    )
    meetings.action_add(
        meeting=rep_accepted,
        case=case_a,
        agency=police,
        owner_role="duty_officer",
        description="Flag the address",
        due_on=date.today() + timedelta(days=5),
        by=chair,
    )
    their_coordinator = make_person("cha_coordinator", Role.COORDINATOR, police, other_area)
    offer = transfers.transfer_offer(case=case_a, to_area=other_area, reason="victim_moved", by=coordinator)
    transfers.transfer_accept(offer=offer, agency=None, by=their_coordinator)
    page = sign_in_fully(their_coordinator).get(f"/cases/{case_a.reference}/").content.decode()
    assert "Stalking at work" in page and "Flag the address" in page and "Disclosure scheme" in page
    event = AccessEvent.objects.filter(user=their_coordinator, event="case_read", case_reference=case_a.reference).get()
    assert {"minutes.risks", "action.description"} <= set(event.fields)


def test_a_representatives_cases_go_when_they_stop_representing_the_agency_they_attended_for(
    sign_in_fully, rep_accepted, agency_rep, case_a, area, police, coordinator
):
    from marac.models import Membership, Role

    Membership.objects.create(user=agency_rep, agency=police, area=area, role=Role.AGENCY_REP)  # a second hat
    client = sign_in_fully(agency_rep)
    assert client.get(f"/cases/{case_a.reference}/").status_code == 200
    agency_rep.memberships.filter(agency__name__contains="Children").update(is_active=False)
    client = sign_in_fully(agency_rep)  # the change ended their session; they sign in again as police
    assert client.get(f"/cases/{case_a.reference}/").status_code == 404


def test_a_representatives_cases_go_when_their_agency_is_no_longer_invited(
    sign_in_fully, rep_accepted, agency_rep, case_a, childrens_services
):
    rep_accepted.invited_agencies.remove(childrens_services)
    assert sign_in_fully(agency_rep).get(f"/cases/{case_a.reference}/").status_code == 404


@pytest.fixture
def in_progress(rep_accepted, chair, case_a, childrens_services):
    advance(meeting=rep_accepted, by=chair)
    meetings.minutes_save(
        meeting=rep_accepted,
        case=case_a,
        information_shared={},
        risks="DRAFT RISKS",
        decisions=[],
        decision_notes="",
        by=chair,
        expected_version=0,
    )
    meetings.action_add(
        meeting=rep_accepted,
        case=case_a,
        agency=childrens_services,
        owner_role="duty_officer",
        description="DRAFT ACTION",
        due_on=date.today() + timedelta(days=3),
        by=chair,
    )
    return rep_accepted


def test_representatives_see_minutes_and_actions_only_once_issued(sign_in_fully, client, in_progress, agency_rep, chair, case_a):
    sign_in_fully(agency_rep)
    for path in (f"/meetings/{in_progress.pk}/cases/{case_a.reference}/", f"/cases/{case_a.reference}/", "/meetings/actions/"):
        page = client.get(path).content.decode()
        assert "DRAFT RISKS" not in page and "DRAFT ACTION" not in page, path
    from tests.conftest import sign_in_with_both_factors

    sign_in_with_both_factors(client, chair)
    assert "DRAFT RISKS" in client.get(f"/meetings/{in_progress.pk}/cases/{case_a.reference}/").content.decode()
    advance(meeting=in_progress, by=chair)
    meetings.minutes_issue(meeting=in_progress, by=chair)
    sign_in_with_both_factors(client, agency_rep)
    assert "DRAFT ACTION" in client.get("/meetings/actions/").content.decode()


def test_the_carried_over_list_names_no_case_a_representative_is_not_tied_to(
    sign_in_fully, area, idva, referrer, coordinator, chair, agency_rep, police, childrens_services, time_machine
):
    elsewhere = make_case(area, idva, referrer, name="Not On This Agenda")
    earlier = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=2),
        venue="Room",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=[police],
        by=coordinator,
    )
    accepted(elsewhere, referrer=referrer, agency=idva, coordinator=coordinator)
    meetings.agenda_add(meeting=earlier, case=elsewhere, because="urgent", by=coordinator)
    meetings.agenda_issue(meeting=earlier, by=coordinator)
    advance(meeting=earlier, by=chair)
    meetings.action_add(
        meeting=earlier,
        case=elsewhere,
        agency=police,
        owner_role="team_manager",
        description="Police task",
        due_on=date.today() + timedelta(days=5),
        by=chair,
    )
    time_machine.move_to(timezone.now() + timedelta(days=3))
    later = meetings.meeting_schedule(
        area=area,
        starts_at=timezone.now() + timedelta(days=20),
        venue="Room",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=[childrens_services],
        by=coordinator,
    )
    ours = make_case(area, idva, referrer, name="On This Agenda")
    meetings.agenda_add(meeting=later, case=ours, because="urgent", by=coordinator)
    meetings.agenda_issue(meeting=later, by=coordinator)
    meetings.confidentiality_accept(meeting=later, user=agency_rep, agency=childrens_services)
    page = sign_in_fully(agency_rep).get(f"/meetings/{later.pk}/").content.decode()
    assert "Team manager" not in page and elsewhere.reference not in page
    assert "Team manager" in sign_in_fully(coordinator).get(f"/meetings/{later.pk}/").content.decode()


def test_a_perpetrators_address_is_withheld_from_representatives(sign_in_fully, rep_accepted, agency_rep, referrer, case_a):
    services.perpetrator_add(
        case=case_a,
        details={"name": "Darren Cole", "address": "11 Hermitage Road", "relationship_to_victim": "partner"},
        by=referrer,
        today=date.today(),
    )
    page = sign_in_fully(agency_rep).get(f"/cases/{case_a.reference}/").content.decode()
    assert "Darren Cole" in page and "11 Hermitage Road" not in page


def test_before_accepting_listed_and_unlisted_references_look_the_same(sign_in_fully, issued, agency_rep, case_a):
    client = sign_in_fully(agency_rep)
    listed = client.get(f"/meetings/{issued.pk}/cases/{case_a.reference}/").status_code
    unlisted = client.get(f"/meetings/{issued.pk}/cases/NWL-2099-9999/").status_code
    assert listed == unlisted == 403


def test_a_deferred_case_is_picked_up_by_the_next_meeting(listed, case_a, coordinator, chair, area, police):
    meetings.agenda_remove(item=listed.agenda_items.get(case=case_a), because="deferred", by=coordinator)
    following = meetings.meeting_schedule(
        area=area,
        starts_at=listed.starts_at + timedelta(days=28),
        venue="Room",
        online=False,
        chair=chair,
        coordinator=coordinator,
        agencies=[police],
        by=coordinator,
    )
    assert meetings.agenda_build(meeting=following, by=coordinator) == 1
    assert following.agenda_items.get().case == case_a
    # Which meeting hears the referral changed with history naming who did it.
    assert ReferralListing.history.filter(referral=case_a.referrals.get()).first().history_user == coordinator


def test_research_is_refused_once_the_person_no_longer_represents_the_agency_they_attended_for(
    sign_in_fully, rep_accepted, agency_rep, case_a, area, police
):
    from marac.models import Membership

    Membership.objects.create(user=agency_rep, agency=police, area=area, role=Role.AGENCY_REP)
    agency_rep.memberships.filter(agency__name__contains="Children").update(is_active=False)
    response = sign_in_fully(agency_rep).post(f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/research/", {"facts": "x"})
    assert response.status_code in (403, 404)
    assert not rep_accepted.research_returns.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"chair": "99999999999999999999999", "agencies": ["99999999999999999999999"]},
        {"area": "99999999999999999999999"},
        {"chair": "1e9", "agencies": ["-1"]},
    ],
)
def test_absurd_ids_are_form_errors_not_crashes(sign_in_fully, coordinator, chair, area, police, data):
    form = {
        "area": area.pk,
        "day_day": "1",
        "day_month": "1",
        "day_year": "2030",
        "starts": "09:30",
        "venue": "Room",
        "chair": chair.pk,
        "agencies": [police.pk],
        **data,
    }
    response = sign_in_fully(coordinator).post("/meetings/new/", form)
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()


def test_the_chair_must_chair_the_chosen_area(sign_in_fully, coordinator, area, other_area, police):
    from marac.models import Membership

    Membership.objects.create(user=coordinator, agency=police, area=other_area, role=Role.COORDINATOR)
    elsewhere_chair = make_person("cha_chair", Role.CHAIR, police, other_area)
    form = {
        "area": area.pk,
        "day_day": "1",
        "day_month": "1",
        "day_year": "2030",
        "starts": "09:30",
        "venue": "Room",
        "chair": elsewhere_chair.pk,
        "agencies": [police.pk],
    }
    client = sign_in_fully(coordinator)
    response = client.post("/meetings/new/", form)
    assert "Choose someone who chairs the North West Leicestershire MARAC" in response.content.decode()
