"""The coordinator's upload, check and confirm pages; who may not use them; and the pages of the
service that open on the cases imported."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessEvent
from imports import reading
from imports.models import PendingImport
from imports.pending import KEPT_PER_PERSON
from imports.tasks import forget_expired_imports
from marac.models import Membership, Role
from referrals.models import Case
from tests.conftest import make_person, sign_in_with_both_factors
from tests.imports.conftest import csv_bytes, one_row, template_rows

UPLOAD = "/imports/"


@pytest.fixture
def agencies(idva, police):
    return idva, police


def _upload(client, area, data: bytes, name="cases.csv", good_rows_only=False):
    fields = {"area": area.pk, "file": SimpleUploadedFile(name, data)}
    if good_rows_only:
        fields["good_rows_only"] = "on"
    return client.post(UPLOAD, fields)


def _confirm_url(pending: PendingImport) -> str:
    return reverse("imports:cases-import-confirm", args=[pending.uuid])


def test_a_coordinator_uploads_checks_and_confirms_the_template(sign_in_fully, coordinator, area, agencies, template_bytes):
    client = sign_in_fully(coordinator)
    upload_page = client.get(UPLOAD)
    assert upload_page.status_code == 200 and reverse("imports:cases-import-template").encode() in upload_page.content
    checked = _upload(client, area, template_bytes)
    assert checked.status_code == 200
    assert b'id="would-import">2<' in checked.content
    assert Case.objects.count() == 0  # nothing until confirmed
    pending = PendingImport.objects.get()
    assert b"Example Person" not in bytes(pending.sealed_rows)  # sealed, not kept in plain
    done = client.post(_confirm_url(pending))
    assert (done.status_code, done["Location"]) == (302, reverse("case-list"))
    assert Case.objects.filter(area=area).count() == 2
    assert not PendingImport.objects.exists()
    events = list(AccessEvent.objects.filter(event__startswith="cases_import").values_list("event", flat=True).order_by("sequence"))
    assert events == ["cases_import_checked", "cases_imported"]


def test_the_template_downloads_from_the_upload_page(sign_in_fully, coordinator, template_bytes):
    response = sign_in_fully(coordinator).get(reverse("imports:cases-import-template"))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == template_bytes
    assert "attachment" in response["Content-Disposition"]


def test_the_coordinator_finds_the_importer_on_their_home_page(sign_in_fully, coordinator, referrer):
    assert UPLOAD.encode() in sign_in_fully(coordinator).get("/").content
    assert UPLOAD.encode() not in sign_in_fully(referrer).get("/").content


def test_a_broken_file_shows_each_error_with_what_was_found_and_keeps_the_choices(sign_in_fully, coordinator, area, agencies):
    client = sign_in_fully(coordinator)
    good, bad = template_rows()
    bad["Victim date of birth"] = "03/14/1989"
    page = _upload(client, area, csv_bytes([good, bad]), good_rows_only=True)
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 row of the file has errors" in html and 'id="errors"' in html
    assert "This looks like month first" in html and "03/14/1989" in html
    assert "checked" in html.split('name="good_rows_only"')[1][:80]  # the choice made on upload, kept for the confirm
    # The found value is on the page only: not in the log.
    assert "03/14/1989" not in str(list(AccessEvent.objects.values_list("purpose", "fields")))


def test_an_unreadable_file_keeps_the_area_and_the_good_rows_choice(sign_in_fully, coordinator, area, other_area, agencies):
    Membership.objects.create(user=coordinator, agency=agencies[1], area=other_area, role=Role.COORDINATOR)
    client = sign_in_fully(coordinator)
    page = _upload(client, other_area, b"Victim name\nSomeone\n", good_rows_only=True)
    html = page.content.decode()
    assert page.status_code == 400
    assert "There is a problem" in html and "These are missing" in html
    assert f'value="{other_area.pk}"' in html and "checked" in html.split(f'value="{other_area.pk}"')[1][:40]
    assert "checked" in html.split('name="good_rows_only"')[1][:80]
    assert not PendingImport.objects.exists()


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"", "cases.csv", "The file is empty"),
        (b"%PDF-1.7", "cases.pdf", "Choose a CSV or Excel (.xlsx) file"),
        (b"PK\x03\x04x", "cases.xlsx", "not an Excel workbook"),
    ],
)
def test_a_wrong_or_empty_file_is_a_clear_error_not_a_500(sign_in_fully, coordinator, area, data, name, message):
    page = _upload(sign_in_fully(coordinator), area, data, name=name)
    assert page.status_code == 400
    assert message in page.content.decode()


def test_a_file_over_the_limit_is_refused_before_it_is_read_and_never_touches_the_disk(
    sign_in_fully, coordinator, area, monkeypatch, settings
):
    monkeypatch.setattr(reading, "MAX_BYTES", 2000)
    monkeypatch.setattr("imports.uploads.MAX_BYTES", 2000)
    monkeypatch.setattr("imports.views.MAX_BYTES", 2000)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # Django's own handlers would write anything larger to a temporary file
    from django.core.files import uploadedfile

    made = []
    monkeypatch.setattr(
        uploadedfile.TemporaryUploadedFile, "__init__", lambda *a, **k: made.append(1) or (_ for _ in ()).throw(AssertionError)
    )
    page = _upload(sign_in_fully(coordinator), area, b"Victim name\n" + b"x" * 200_000)
    assert page.status_code == 400
    assert "larger than" in page.content.decode()
    assert made == []


def test_confirming_a_file_with_errors_imports_nothing_unless_the_good_rows_are_asked_for(sign_in_fully, coordinator, area, agencies):
    good, bad = template_rows()
    bad["Risk score"] = "99"
    client = sign_in_fully(coordinator)
    _upload(client, area, csv_bytes([good, bad]))
    pending = PendingImport.objects.get()
    refused = client.post(_confirm_url(pending))
    assert refused.status_code == 400 and "nothing was imported" in refused.content.decode()
    assert Case.objects.count() == 0
    taken = client.post(_confirm_url(pending), {"good_rows_only": "on"})
    assert taken.status_code == 302
    assert Case.objects.count() == 1
    # The auditor reads a refused confirmation as refused, not as an import of nothing.
    events = list(AccessEvent.objects.filter(event__startswith="cases_").order_by("sequence").values_list("event", "purpose"))
    assert [event for event, _ in events] == ["cases_import_checked", "cases_import_refused", "cases_imported"]
    assert "0 imported" in events[1][1] and "1 with errors" in events[1][1] and "1 imported" in events[2][1]


def test_cancel_deletes_what_was_kept(sign_in_fully, coordinator, area, agencies, template_bytes):
    client = sign_in_fully(coordinator)
    _upload(client, area, template_bytes)
    pending = PendingImport.objects.get()
    assert client.post(reverse("imports:cases-import-cancel", args=[pending.uuid])).status_code == 302
    assert not PendingImport.objects.exists()
    assert client.post(_confirm_url(pending)).status_code == 404
    assert Case.objects.count() == 0


def test_an_expired_check_cannot_be_confirmed_and_the_periodic_job_deletes_it(sign_in_fully, coordinator, area, agencies, template_bytes):
    client = sign_in_fully(coordinator)
    _upload(client, area, template_bytes)
    PendingImport.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    pending = PendingImport.objects.get()
    assert client.post(_confirm_url(pending)).status_code == 404
    assert forget_expired_imports() == 1
    assert not PendingImport.objects.exists() and Case.objects.count() == 0


def test_a_tampered_check_is_refused_and_deleted(sign_in_fully, coordinator, area, agencies, template_bytes):
    client = sign_in_fully(coordinator)
    _upload(client, area, template_bytes)
    _upload(client, area, one_row(**{"Victim name": "Another Example", "Victim other names": ""}))
    first, second = PendingImport.objects.order_by("pk")
    PendingImport.objects.filter(pk=first.pk).update(sealed_rows=second.sealed_rows, wrapped_key=second.wrapped_key)  # moved between rows
    response = client.post(_confirm_url(first))
    assert response.status_code == 302 and Case.objects.count() == 0
    assert AccessEvent.objects.filter(event="case_import_unreadable", outcome="integrity_failure").count() == 1


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["referrer", "auditor", "chair", "agency_rep"])
def test_only_coordinators_may_import_and_every_refusal_is_logged(request, sign_in_fully, area, template_bytes, persona):
    user = request.getfixturevalue(persona)
    client = sign_in_fully(user)
    for response in (client.get(UPLOAD), _upload(client, area, template_bytes), client.get(reverse("imports:cases-import-template"))):
        assert response.status_code == 403
    assert list(AccessEvent.objects.values_list("event", "outcome", "user")) == [("case_import_denied", "denied", user.pk)] * 3
    assert Case.objects.count() == 0 and not PendingImport.objects.exists()


def test_a_coordinator_of_another_area_cannot_import_into_this_one(sign_in_fully, other_area, area, police, template_bytes):
    elsewhere = make_person("elsewhere", Role.COORDINATOR, police, other_area)
    page = _upload(sign_in_fully(elsewhere), area, template_bytes)  # a tampered area id
    assert page.status_code == 403
    assert list(AccessEvent.objects.values_list("event", "outcome", "user")) == [("case_import_denied", "denied", elsewhere.pk)]
    assert Case.objects.count() == 0 and not PendingImport.objects.exists()


def test_another_coordinator_cannot_confirm_or_cancel_someone_elses_check(client, coordinator, area, police, agencies, template_bytes):
    sign_in_with_both_factors(client, coordinator)
    _upload(client, area, template_bytes)
    pending = PendingImport.objects.get()
    colleague = make_person("colleague", Role.COORDINATOR, police, area)
    other = sign_in_with_both_factors(Client(), colleague)
    assert other.post(_confirm_url(pending)).status_code == 404
    assert other.post(reverse("imports:cases-import-cancel", args=[pending.uuid])).status_code == 404
    assert other.get(_confirm_url(pending)).status_code == 405
    assert Case.objects.count() == 0 and PendingImport.objects.count() == 1
    assert AccessEvent.objects.filter(event="case_import_denied", user=colleague).count() == 2


def test_the_upload_form_needs_its_csrf_token(coordinator, area, template_bytes):
    client = sign_in_with_both_factors(Client(enforce_csrf_checks=True), coordinator)
    response = _upload(client, area, template_bytes)
    assert response.status_code == 403
    assert not PendingImport.objects.exists()


# --- the service's pages on imported cases -------------------------------------------------------


def test_the_pages_open_on_the_imported_cases(sign_in_fully, coordinator, area, agencies, template_bytes):
    client = sign_in_fully(coordinator)
    _upload(client, area, template_bytes)
    client.post(_confirm_url(PendingImport.objects.get()))
    heard, waiting = Case.objects.order_by("reference")
    listing = client.get(reverse("case-list"))
    assert listing.status_code == 200 and heard.reference.encode() in listing.content
    for case in (heard, waiting):
        page = client.get(reverse("case-detail", args=[case.reference]))
        assert page.status_code == 200
        assert case.victim.name.encode() in page.content
    triage = client.get(reverse("triage"))
    assert triage.status_code == 200 and waiting.reference.encode() in triage.content
    meeting = heard.agenda_items.get().meeting
    assert client.get(reverse("meeting-detail", args=[meeting.pk])).status_code == 200
    assert client.get(reverse("data-return", args=[area.short_code])).status_code == 200


def test_one_person_keeps_at_most_three_checks_waiting(sign_in_fully, coordinator, area, agencies, template_bytes):
    """Checking files again and again cannot fill the database: a fourth check forgets the oldest,
    which can no longer be confirmed, and the newest three still can."""
    client = sign_in_fully(coordinator)
    assert _upload(client, area, template_bytes).status_code == 200
    oldest = PendingImport.objects.get()
    for _ in range(KEPT_PER_PERSON):
        assert _upload(client, area, template_bytes).status_code == 200
    checks = list(PendingImport.objects.order_by("created_at", "pk"))
    assert len(checks) == KEPT_PER_PERSON and oldest not in checks
    assert client.post(_confirm_url(oldest)).status_code == 404
    assert client.post(_confirm_url(checks[-1])).status_code == 302
    assert Case.objects.filter(area=area).count() == 2


def test_another_persons_checks_are_never_forgotten_for_them(sign_in_fully, coordinator, area, agencies, template_bytes):
    other = make_person("second-coordinator", Role.COORDINATOR, agencies[0], area)
    _upload(sign_in_fully(other), area, template_bytes)
    client = sign_in_fully(coordinator)
    for _ in range(KEPT_PER_PERSON + 1):
        _upload(client, area, template_bytes)
    assert PendingImport.objects.filter(uploaded_by=other).count() == 1
    assert PendingImport.objects.filter(uploaded_by=coordinator).count() == KEPT_PER_PERSON


def test_a_check_locks_its_persons_row_so_two_at_once_keep_no_more_than_three(area, coordinator, template_bytes):
    """Two checks at once by one person each see only their own new row: the person's row is
    locked first, so the second waits and then forgets what the first left over the limit."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from imports.pending import pending_create
    from imports.reading import sheet_read

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: no lock to take")
    sheet = sheet_read(template_bytes, filename="cases.csv")
    with CaptureQueriesContext(connection) as queries:
        pending_create(sheet=sheet, area=area, by=coordinator, good_rows_only=False)
    statements = [query["sql"] for query in queries.captured_queries]
    lock = next(at for at, sql in enumerate(statements) if "FOR UPDATE" in sql)
    assert '"marac_user"' in statements[lock] and f"= {coordinator.pk}" in statements[lock]
    assert lock < next(at for at, sql in enumerate(statements) if sql.startswith('INSERT INTO "imports_pendingimport"'))
