"""Defects a walkthrough found in the meeting: an empty research return counted as returned, a
meeting started (and its minutes issued) before its day, and issued minutes still shown as a form."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from meetings import services as meetings
from meetings.forms import MinutesForm, ResearchForm, minutes_edits, research_edits, shared_field
from meetings.models import CaseMinutes, Meeting, ResearchReturn
from tests.meetings.conftest import advance, on_its_day


def research_post(meeting, case, agency, **text):
    return {
        "facts": "",
        "opinion": "",
        "not_shared": "",
        **text,
        **ResearchForm.version_data(research_edits(meeting, case, agency), 0),
    }


@pytest.mark.parametrize("blank", ["", "   \n  "])
def test_an_empty_research_return_is_refused_with_a_clear_error(sign_in_fully, rep_accepted, agency_rep, case_a, childrens_services, blank):
    client = sign_in_fully(agency_rep)
    url = f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/research/"
    response = client.post(url, research_post(rep_accepted, case_a, childrens_services, facts=blank, opinion=blank, not_shared=blank))
    page = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "Enter what your agency&#x27;s records show" in page
    assert not ResearchReturn.objects.exists()


def test_an_empty_research_return_is_refused_by_the_service_too(rep_accepted, agency_rep, case_a, childrens_services):
    with pytest.raises(ValidationError, match="records show"):
        meetings.research_save(
            meeting=rep_accepted,
            case=case_a,
            agency=childrens_services,
            facts=" ",
            opinion="",
            not_shared="",
            by=agency_rep,
            expected_version=0,
        )
    assert not ResearchReturn.objects.exists()


def test_a_return_emptied_after_saving_is_refused_and_the_saved_one_stands(rep_accepted, agency_rep, case_a, childrens_services):
    record = meetings.research_save(
        meeting=rep_accepted,
        case=case_a,
        agency=childrens_services,
        facts="Known to us",
        opinion="",
        not_shared="",
        by=agency_rep,
        expected_version=0,
    )
    with pytest.raises(ValidationError):
        meetings.research_save(
            meeting=rep_accepted,
            case=case_a,
            agency=childrens_services,
            facts="",
            opinion="",
            not_shared="",
            by=agency_rep,
            expected_version=record.row_version,
        )
    assert ResearchReturn.objects.get().facts == "Known to us"


def test_only_returns_with_something_in_them_count_as_returned(sign_in_fully, rep_accepted, agency_rep, chair, case_a, childrens_services):
    client = sign_in_fully(agency_rep)
    url = f"/meetings/{rep_accepted.pk}/cases/{case_a.reference}/research/"
    client.post(url, research_post(rep_accepted, case_a, childrens_services))
    row = _agenda_row(sign_in_fully(chair).get(f"/meetings/{rep_accepted.pk}/").content.decode(), case_a.reference)
    assert "None yet" in row and childrens_services.name.replace("'", "&#x27;") not in row
    client = sign_in_fully(agency_rep)
    client.post(url, research_post(rep_accepted, case_a, childrens_services, not_shared="Health records: no consent"))
    row = _agenda_row(sign_in_fully(chair).get(f"/meetings/{rep_accepted.pk}/").content.decode(), case_a.reference)
    assert childrens_services.name.replace("'", "&#x27;") in row


def _agenda_row(page: str, reference: str) -> str:
    start = page.index(f">{reference}</a>")
    return page[start : page.index("</tr>", start)]


def test_a_meeting_cannot_be_started_before_its_day(sign_in_fully, issued, chair):
    day = timezone.localtime(issued.starts_at).date()
    response = sign_in_fully(chair).post(f"/meetings/{issued.pk}/advance/")
    page = response.content.decode()
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert f"This meeting is on {day:%-d %B %Y}. It cannot be started before then." in page
    issued.refresh_from_db()
    assert issued.status == Meeting.Status.AGENDA_ISSUED
    with pytest.raises(ValidationError, match="cannot be started before then"):
        meetings.meeting_advance(meeting=issued, by=chair)


def test_so_it_cannot_be_ended_nor_its_minutes_issued_before_its_day_either(sign_in_fully, issued, chair):
    client = sign_in_fully(chair)
    client.post(f"/meetings/{issued.pk}/advance/")
    client.post(f"/meetings/{issued.pk}/advance/")
    client.post(f"/meetings/{issued.pk}/minutes/issue/")
    issued.refresh_from_db()
    assert (issued.status, issued.minutes_issued_at) == (Meeting.Status.AGENDA_ISSUED, None)


def test_a_meeting_starts_on_its_day_even_before_its_hour(issued, chair):
    Meeting.objects.filter(pk=issued.pk).update(starts_at=timezone.now() + timedelta(minutes=30))
    if timezone.localtime(timezone.now() + timedelta(minutes=30)).date() != timezone.localdate():
        pytest.skip("half an hour from now is tomorrow")
    assert meetings.meeting_advance(meeting=issued, by=chair).status == Meeting.Status.IN_PROGRESS


@pytest.fixture
def issued_minutes(rep_accepted, chair, case_a, police):
    advance(meeting=rep_accepted, by=chair)
    meetings.minutes_save(
        meeting=rep_accepted,
        case=case_a,
        information_shared={police.name: "Three call-outs"},
        risks="Stalking at work",
        decisions=["mappa"],
        decision_notes="Refer today",
        by=chair,
        expected_version=0,
    )
    advance(meeting=rep_accepted, by=chair)
    return meetings.minutes_issue(meeting=rep_accepted, by=chair)


def test_issued_minutes_are_shown_read_only_with_the_way_to_add_a_correction(sign_in_fully, issued_minutes, chair, case_a):
    response = sign_in_fully(chair).get(f"/meetings/{issued_minutes.pk}/cases/{case_a.reference}/minutes/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<textarea" not in page and "Save the minutes" not in page and "row_version" not in page
    assert "Stalking at work" in page and "Three call-outs" in page
    assert f'href="/meetings/{issued_minutes.pk}/cases/{case_a.reference}/addendum/"' in page


def test_a_save_posted_after_the_minutes_were_issued_is_refused_and_shows_back_what_was_typed(
    sign_in_fully, issued_minutes, chair, case_a, police
):
    data = {
        "risks": "Rewritten <b>risks</b>",
        shared_field(police.name): "Three call-outs",
        "decision_notes": "",
        **MinutesForm.version_data(minutes_edits(issued_minutes, case_a), 1),
    }
    response = sign_in_fully(chair).post(f"/meetings/{issued_minutes.pk}/cases/{case_a.reference}/minutes/", data)
    page = response.content.decode()
    assert "govuk-error-summary" in page and "can no longer be changed" in page
    assert "Rewritten &lt;b&gt;risks&lt;/b&gt;" in page  # what they typed, to copy into a correction
    assert CaseMinutes.objects.get().risks == "Stalking at work"


def test_the_read_only_minutes_are_still_only_for_the_coordinator_and_chair(sign_in_fully, issued_minutes, agency_rep, case_a):
    assert sign_in_fully(agency_rep).get(f"/meetings/{issued_minutes.pk}/cases/{case_a.reference}/minutes/").status_code == 403


def test_reading_issued_minutes_is_logged(sign_in_fully, issued_minutes, chair, case_a):
    from audit.models import AccessEvent

    sign_in_fully(chair).get(f"/meetings/{issued_minutes.pk}/cases/{case_a.reference}/minutes/")
    event = AccessEvent.objects.filter(user=chair, purpose="issued minutes").latest("pk")
    assert {"minutes.risks", "minutes.information_shared"} <= set(event.fields)


def test_the_day_helper_is_what_lets_other_tests_start_meetings(issued, chair):
    on_its_day(issued)
    assert meetings.meeting_advance(meeting=issued, by=chair).status == Meeting.Status.IN_PROGRESS
