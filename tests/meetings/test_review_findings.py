"""Problems found in the security review of meetings, each held off by a test."""

import os
import threading
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from audit.models import AccessEvent
from marac import pdf
from marac.models import Role
from meetings import services as meetings
from meetings.forms import MinutesForm, ResearchForm, minutes_edits, research_edits
from meetings.models import ReferralListing
from referrals import services
from tests.conftest import make_case, make_person
from tests.meetings.conftest import accepted


@pytest.fixture
def in_progress(rep_accepted, chair, case_a, childrens_services):
    meetings.meeting_advance(meeting=rep_accepted, by=chair)
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
        owner="SW",
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
    meetings.meeting_advance(meeting=in_progress, by=chair)
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
    meetings.meeting_advance(meeting=earlier, by=chair)
    meetings.action_add(
        meeting=earlier,
        case=elsewhere,
        agency=police,
        owner="DS Owner Name",
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
    assert "DS Owner Name" not in page and elsewhere.reference not in page
    assert "DS Owner Name" in sign_in_fully(coordinator).get(f"/meetings/{later.pk}/").content.decode()


def test_a_perpetrators_address_is_withheld_from_representatives(sign_in_fully, rep_accepted, agency_rep, referrer, case_a):
    services.perpetrator_add(
        case=case_a,
        details={"name": "Darren Cole", "address": "11 Hermitage Road", "relationship_to_victim": "partner"},
        by=referrer,
        today=date.today(),
    )
    page = sign_in_fully(agency_rep).get(f"/cases/{case_a.reference}/").content.decode()
    assert "Darren Cole" in page and "11 Hermitage Road" not in page


def test_no_pack_prints_a_safe_address_whoever_it_is_for(rep_accepted, tmp_path):
    import subprocess

    out = tmp_path / "pack.pdf"
    call_command("render_pack", meeting=rep_accepted.pk, username="coordinator", kind="pack", output=str(out))
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "14 Belvoir Road" in text and "Flat 2, 9 Ashby Road" not in text and "07700 900456" not in text


def test_render_pack_writes_a_private_file_and_says_the_reads_were_its_own(rep_accepted, tmp_path, case_a):
    out = tmp_path / "pack.pdf"
    out.write_bytes(b"old")
    os.chmod(out, 0o644)
    call_command("render_pack", meeting=rep_accepted.pk, username="agency_rep", kind="agenda", output=str(out))
    assert out.stat().st_mode & 0o777 == 0o600
    event = AccessEvent.objects.get(event="case_read_by_command", case_reference=case_a.reference)
    assert "render_pack by" in event.purpose and not AccessEvent.objects.filter(event="case_read", purpose__contains="render_pack")


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


def test_a_busy_renderer_says_so_rather_than_piling_up(monkeypatch):
    monkeypatch.setattr(pdf, "RENDER_QUEUE_SECONDS", 0.1)
    slots = threading.BoundedSemaphore(1)
    monkeypatch.setattr(pdf, "_RENDER_SLOTS", slots)
    slots.acquire()
    with pytest.raises(pdf.PdfRenderError, match="Too many documents"):
        pdf.render_pdf("<p>x</p>")
    slots.release()


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


def test_a_transfer_with_an_absurd_area_id_is_a_form_error(sign_in_fully, coordinator, case_a):
    response = sign_in_fully(coordinator).post(f"/cases/{case_a.reference}/transfer/", {"to_area": "9" * 30, "reason": "victim_moved"})
    assert response.status_code == 200 and "govuk-error-summary" in response.content.decode()


def test_research_saved_over_a_colleagues_later_save_is_refused_and_the_text_kept(
    sign_in_fully, rep_accepted, agency_rep, case_a, childrens_services, client
):
    meetings.research_save(
        meeting=rep_accepted,
        case=case_a,
        agency=childrens_services,
        facts="First",
        opinion="",
        not_shared="",
        by=agency_rep,
        expected_version=0,
    )
    sign_in_fully(agency_rep)
    url = f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/research/"
    opened = client.get(url).content.decode()
    assert 'name="row_version" value="1"' in opened
    meetings.research_save(
        meeting=rep_accepted,
        case=case_a,
        agency=childrens_services,
        facts="A colleague's",
        opinion="",
        not_shared="",
        by=agency_rep,
        expected_version=1,
    )
    edits = research_edits(rep_accepted, case_a, childrens_services)
    opened_at = {version: ResearchForm.version_data(edits, version) for version in (1, 2)}
    response = client.post(url, {"facts": "Mine, typed meanwhile", "opinion": "", "not_shared": "", **opened_at[1]})
    page = response.content.decode()
    assert response.status_code == 200 and "Someone else saved this" in page and "Mine, typed meanwhile" in page
    assert rep_accepted.research_returns.get().facts == "A colleague's"
    assert client.post(url, {"facts": "Mine, typed meanwhile", "opinion": "", "not_shared": "", **opened_at[2]}).status_code == 302
    assert rep_accepted.research_returns.get().facts == "Mine, typed meanwhile"


def test_minutes_saved_over_a_later_save_are_refused(sign_in_fully, rep_accepted, chair, case_a):
    meetings.meeting_advance(meeting=rep_accepted, by=chair)
    meetings.minutes_save(
        meeting=rep_accepted,
        case=case_a,
        information_shared={},
        risks="First",
        decisions=[],
        decision_notes="",
        by=chair,
        expected_version=0,
    )
    meetings.minutes_save(
        meeting=rep_accepted,
        case=case_a,
        information_shared={},
        risks="Coordinator's",
        decisions=[],
        decision_notes="",
        by=chair,
        expected_version=1,
    )
    response = sign_in_fully(chair).post(
        f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/minutes/",
        {"risks": "Chair's", **MinutesForm.version_data(minutes_edits(rep_accepted, case_a), 1)},
    )
    assert "Someone else saved this" in response.content.decode() and "Chair&#x27;s" in response.content.decode()
    assert rep_accepted.minutes.get().risks == "Coordinator's"


def test_a_pdf_that_cannot_be_prepared_is_a_clear_page_and_no_download_is_logged(
    sign_in_fully, client, rep_accepted, agency_rep, coordinator, monkeypatch
):
    import time

    from marac.reauth import REAUTHENTICATED_AT

    def refuse(html, **limits):
        raise pdf.PdfRenderError("The PDF took too long to prepare.")

    monkeypatch.setattr("meetings.packs.render_pdf", refuse)
    monkeypatch.setattr("reports.views.render_pdf", refuse)
    for user, path in ((agency_rep, f"/meetings/{rep_accepted.pk}/documents/pack.pdf"), (coordinator, "/reports/NWL/data-return.pdf")):
        sign_in_fully(user)
        session = client.session
        session[REAUTHENTICATED_AT] = time.time()
        session.save()
        response = client.get(path)
        assert response.status_code == 503 and "The PDF took too long to prepare." in response.content.decode(), path
    assert not AccessEvent.objects.filter(event__in=["pdf_download", "export"]).exists()
