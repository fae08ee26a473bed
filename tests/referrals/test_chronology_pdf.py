"""A case's chronology as a PDF for a review (issue 18, ADR 0027): for the coordinator or chair of
the case's area, after a fresh security code, rendered in the limited child process, holding the
case page's chronology lines and the holds, logged as a download with its purpose."""

import time

import pytest
from django.urls import reverse

from audit.models import AccessEvent
from marac.reauth import REAUTHENTICATED_AT
from referrals import closing, retention, services
from tests.conftest import grant_hearing, poppler

URL = "/cases/{}/chronology.pdf"


def reauthenticated(client):
    session = client.session
    session[REAUTHENTICATED_AT] = time.time()  # as if a code had just been entered
    session.save()
    return client


def test_the_coordinator_downloads_the_chronology_with_the_holds(sign_in_fully, tmp_path, case_a, coordinator):
    closing.case_close(case=case_a, reason="risk_reduced", by=coordinator)
    retention.hold_place(case=case_a, kind="homicide_review", reason="DHR panel 2027/04", by=coordinator)
    client = reauthenticated(sign_in_fully(coordinator))
    response = client.get(URL.format(case_a.reference) + "?for=homicide_review")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    out = tmp_path / "chronology.pdf"
    out.write_bytes(response.content)
    text = poppler("pdftotext", str(out), "-")
    for line in (f"Chronology of case {case_a.reference}", "Case opened", "Closed by", "Legal hold placed (domestic homicide review)"):
        assert line in text, line
    assert "DHR panel 2027/04" in text and "Prepared for: Domestic homicide review" in text
    assert "Sarah Mitchell" not in text and "Ashby Road" not in text  # the victim's record is not in a chronology
    assert "Sarah" not in poppler("pdfinfo", str(out))
    download = AccessEvent.objects.get(event="pdf_download", user=coordinator)
    assert download.case_reference == case_a.reference and download.purpose == "chronology for a review: homicide_review"
    read = AccessEvent.objects.filter(user=coordinator, purpose="chronology pdf for homicide_review").get()
    assert "legal_hold.reason" in read.fields


def test_without_a_fresh_security_code_it_asks_for_one_first(sign_in_fully, case_a, chair):
    response = sign_in_fully(chair).get(URL.format(case_a.reference))
    assert response.status_code == 302 and response.url.startswith(reverse("confirm-identity"))
    assert not AccessEvent.objects.filter(event="pdf_download").exists()


@pytest.mark.parametrize("persona", ["referrer", "agency_rep", "auditor"])
def test_others_who_see_the_case_are_refused_and_logged(request, sign_in_fully, case_a, persona):
    person = request.getfixturevalue(persona)
    if persona == "agency_rep":
        grant_hearing(person, case_a)
    client = reauthenticated(sign_in_fully(person))
    assert client.get(URL.format(case_a.reference)).status_code == 403
    assert AccessEvent.objects.filter(event="pdf_download_denied", user=person, outcome="denied").exists()


def test_someone_with_no_tie_gets_404(sign_in_fully, case_a, unrelated):
    assert reauthenticated(sign_in_fully(unrelated)).get(URL.format(case_a.reference)).status_code == 404
    assert AccessEvent.objects.filter(event="case_access_denied", user=unrelated, case_reference=case_a.reference).exists()


def test_an_erased_case_is_refused_with_a_clear_message(sign_in_fully, case_a, coordinator):
    services.case_shred(case=case_a, by=None)
    response = reauthenticated(sign_in_fully(coordinator)).get(URL.format(case_a.reference))
    assert response.status_code == 410 and "its chronology can no longer be produced" in response.content.decode()
    assert AccessEvent.objects.filter(event="pdf_download_denied", purpose="chronology of an erased case").exists()
    assert not AccessEvent.objects.filter(event="pdf_download").exists()
