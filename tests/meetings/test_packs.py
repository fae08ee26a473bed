"""Meeting PDFs: redacted for their recipient, marked on every page, downloaded only after a
fresh security code, every download logged, and built in a fixed number of queries."""

import re
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AccessEvent
from demo.management.commands._demo import current_code
from marac import pdf
from marac.second_factor import AuthenticatorApp
from marac.viewer import Viewer
from meetings import services as meetings
from meetings.access import meeting_access_for
from meetings.packs import pack_for
from tests.conftest import make_case, poppler
from tests.meetings.conftest import accepted, advance

VICTIM_CONTACT = ("14 Belvoir Road", "07700 900123", "07700 900456", "Flat 2, 9 Ashby Road")


@pytest.fixture
def heard(rep_accepted, agency_rep, chair, case_a, childrens_services, police):
    """A meeting with research returned, minutes recorded and issued, and an action each for two agencies."""
    meeting = rep_accepted
    meetings.research_save(
        meeting=meeting,
        case=case_a,
        agency=childrens_services,
        facts="Known to CSC since 2024",
        opinion="Worried",
        not_shared="Sibling's medical history",
        by=agency_rep,
        expected_version=0,
    )
    advance(meeting=meeting, by=chair)
    meetings.minutes_save(
        meeting=meeting,
        case=case_a,
        information_shared={"Leicestershire Police": "Three call-outs"},
        risks="Stalking",
        decisions=["mappa"],
        decision_notes="",
        by=chair,
        expected_version=0,
    )
    for agency, text in ((childrens_services, "Visit the children"), (police, "Flag the address")):
        meetings.action_add(
            meeting=meeting,
            case=case_a,
            agency=agency,
            owner_role="duty_officer",
            description=text,
            due_on=date.today() + timedelta(days=7),
            by=chair,
        )
    advance(meeting=meeting, by=chair)
    return meetings.minutes_issue(meeting=meeting, by=chair)


def rendered(meeting, username: str, kind: str, tmp_path) -> tuple[str, str]:
    """(text of each page joined by form feeds, pdfinfo) of the PDF render_pack writes for that person."""
    out = tmp_path / f"{username}-{kind}.pdf"
    call_command("render_pack", meeting=meeting.pk, username=username, kind=kind, output=str(out))
    text = poppler("pdftotext", str(out), "-")
    # Table cells and the footer wrap: compare text with its whitespace collapsed, page by page.
    text = "\f".join(" ".join(page.split()) for page in text.split("\f"))
    return text, poppler("pdfinfo", str(out))


def test_a_representatives_pack_holds_no_address_or_phone_and_the_coordinators_does(heard, tmp_path):
    rep_text, _ = rendered(heard, "agency_rep", "pack", tmp_path)
    assert "Sarah Mitchell" in rep_text and "Known to CSC since 2024" in rep_text and "Withheld" in rep_text
    assert not [value for value in VICTIM_CONTACT if value in rep_text]
    coordinator_text, _ = rendered(heard, "coordinator", "pack", tmp_path)
    assert all(value in coordinator_text for value in ("14 Belvoir Road", "07700 900123"))
    assert "Sibling's medical history" in coordinator_text


@pytest.mark.parametrize("kind", ["agenda", "pack", "minutes", "actions"])
@pytest.mark.parametrize("username", ["agency_rep", "chair"])
def test_every_page_is_marked_and_the_metadata_names_nobody(heard, tmp_path, kind, username):
    text, info = rendered(heard, username, kind, tmp_path)
    pages = [page for page in text.split("\f") if page.strip()]
    assert pages
    for number, page in enumerate(pages, start=1):
        assert "OFFICIAL-SENSITIVE" in page
        assert re.search(rf"Prepared for {username}, .+ on \d+ \w+ \d{{4}} — do not copy or forward", page)
        assert f"Page {number} of {len(pages)}" in page
    metadata = "\n".join(line for line in info.splitlines() if line.split(":")[0] in {"Title", "Author", "Subject", "Keywords", "Creator"})
    assert "MARAC" in metadata
    for name in ("Sarah", "Mitchell", "Aisha", "Rahman", username):
        assert name not in metadata


def test_a_representatives_action_extract_holds_only_their_agencys_actions(heard, tmp_path):
    text, _ = rendered(heard, "agency_rep", "actions", tmp_path)
    assert "Visit the children" in text and "Flag the address" not in text


def test_representatives_get_minutes_only_once_issued(rep_accepted, agency_rep, sign_in_fully):
    client = sign_in_fully(agency_rep)
    assert client.get(f"/meetings/{rep_accepted.pk}/documents/minutes.pdf").status_code == 403
    with pytest.raises(Exception, match="may not have the minutes"):
        call_command("render_pack", meeting=rep_accepted.pk, username="agency_rep", kind="minutes", output="/dev/null")


def test_downloading_needs_a_fresh_security_code_and_is_logged(heard, agency_rep, client):
    from tests.conftest import sign_in_with_both_factors

    sign_in_with_both_factors(client, agency_rep)  # a session, but no code entered in this test
    url = f"/meetings/{heard.pk}/documents/pack.pdf"
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/account/confirm/?next=")
    assert not AccessEvent.objects.filter(event="pdf_download").exists()
    code = current_code(AuthenticatorApp.objects.get(user=agency_rep))
    assert client.post(response.url, {"code": code}).url == url
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == f'attachment; filename="NWL-MARAC-{heard.starts_at:%Y-%m-%d}-pack.pdf"'
    assert AccessEvent.objects.filter(event="pdf_download", user=agency_rep).count() == 1
    read = AccessEvent.objects.get(
        event="case_read", user=agency_rep, purpose__startswith="pdf pack", case_reference=heard.agenda_items.first().case.reference
    )
    assert "name" in read.fields and "address" not in read.fields and "research.facts" in read.fields


def test_the_confirm_page_only_returns_to_this_site(agency_rep, client):
    from tests.conftest import sign_in_with_both_factors

    sign_in_with_both_factors(client, agency_rep)
    code = current_code(AuthenticatorApp.objects.get(user=agency_rep))
    assert client.post("/account/confirm/?next=https://evil.example/", {"code": code}).url == "/"


def test_the_packs_query_count_does_not_grow_with_its_cases(issued, area, idva, referrer, coordinator, chair, agency_rep):
    def queries() -> int:
        user = coordinator
        access = meeting_access_for(Viewer.of(user), issued.pk)
        with CaptureQueriesContext(connection) as captured:
            pack_for(access, "pack")
        return len(captured)

    two = queries()
    for n in range(4):
        case = make_case(area, idva, referrer, name=f"Extra {n}", address=f"{n} Street")
        accepted(case, referrer=referrer, agency=idva, coordinator=coordinator)
        meetings.agenda_add(meeting=issued, case=case, because="urgent", by=coordinator)
    assert issued.agenda_items.filter(removed_at=None).count() == 6
    assert queries() == two


def test_a_wrong_code_is_refused_and_counted(heard, agency_rep, client):
    from tests.conftest import sign_in_with_both_factors

    sign_in_with_both_factors(client, agency_rep)
    wrong = client.post("/account/confirm/?next=/", {"code": "000000"})
    assert "not correct" in wrong.content.decode()
    assert AccessEvent.objects.filter(event="sign_in_failed", purpose="reauthentication_failed", user=agency_rep).exists()


def test_no_pack_prints_a_safe_address_whoever_it_is_for(rep_accepted, tmp_path):
    out = tmp_path / "pack.pdf"
    call_command("render_pack", meeting=rep_accepted.pk, username="coordinator", kind="pack", output=str(out))
    text = poppler("pdftotext", str(out), "-")
    assert "14 Belvoir Road" in text and "Flat 2, 9 Ashby Road" not in text and "07700 900456" not in text


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
