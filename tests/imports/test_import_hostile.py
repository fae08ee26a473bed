"""Hostile and damaged input to the importer (security review of issue 19): workbooks that break
openpyxl in every way, decompression bombs, tampered form fields, people whose right to import
ended between the check and the confirm; and what the imported rows leave in the audit chain."""

import io
import re
import zipfile
from io import StringIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from audit.models import AccessEvent
from audit.rows import Kind
from imports import reading
from imports.models import PendingImport
from imports.reading import FileProblem, sheet_read
from marac.models import Membership
from marac.security.row_versions import rows_verify
from referrals.models import Case
from tests.imports.conftest import csv_bytes, import_bytes, template_rows

UPLOAD = "/imports/"
SECRET = "Jane Secretname"
NS = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'


@pytest.fixture
def agencies(idva, police):
    return idva, police


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    rows = template_rows()
    book.active.append(list(rows[0]))
    for row in rows:
        book.active.append(list(row.values()))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _rezipped(data: bytes, change, extra: dict[str, bytes] | None = None) -> bytes:
    """The workbook with each part passed through `change(name, content)` and `extra` parts added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            content = change(entry.filename, source.read(entry.filename))
            if content is not None:
                target.writestr(entry.filename, content)
        for name, content in (extra or {}).items():
            target.writestr(name, content)
    return out.getvalue()


def _in_sheet(old: bytes, new: bytes):
    return lambda name, content: content.replace(old, new, 1) if name == "xl/worksheets/sheet1.xml" else content


def _with_shared_strings(strings_xml: bytes, cell: bytes) -> bytes:
    """A workbook whose first victim name is a shared-strings cell (as Excel saves text)."""

    def change(name: str, content: bytes) -> bytes:
        if name == "[Content_Types].xml":
            return content.replace(
                b"</Types>",
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
            )
        if name == "xl/_rels/workbook.xml.rels":
            return content.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                b'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
            )
        if name == "xl/worksheets/sheet1.xml":
            return re.sub(rb'<c r="A2" t="inlineStr"><is><t>[^<]*</t></is></c>', cell, content)
        return content

    return _rezipped(_workbook(), change, {"xl/sharedStrings.xml": strings_xml})


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(b'<!ENTITY %s "%s">' % (chr(98 + i).encode(), (b"&%s;" % chr(97 + i).encode()) * 10) for i in range(9))
    + b"]>"
)
DAMAGED = {
    "sheet missing": lambda: _rezipped(_workbook(), lambda n, c: None if n == "xl/worksheets/sheet1.xml" else c),
    "sheet XML cut short": lambda: _rezipped(_workbook(), lambda n, c: c[: len(c) // 2] if n == "xl/worksheets/sheet1.xml" else c),
    "styles broken": lambda: _rezipped(_workbook(), lambda n, c: b"<styleSheet" if n == "xl/styles.xml" else c),
    "workbook has no sheets": lambda: _rezipped(_workbook(), lambda n, c: b"<workbook/>" if n == "xl/workbook.xml" else c),
    "relationships garbage": lambda: _rezipped(_workbook(), lambda n, c: b"garbage" if n.endswith("workbook.xml.rels") else c),
    "a cell reference naming a value": lambda: _rezipped(_workbook(), _in_sheet(b'r="A2"', f'r="{SECRET.split()[1]}2"'.encode())),
    "a row number naming a value": lambda: _rezipped(_workbook(), _in_sheet(b'<row r="2"', f'<row r="{SECRET}"'.encode())),
    "a shared string index past the end": lambda: _with_shared_strings(NS + b"<si><t>x</t></si></sst>", b'<c r="A2" t="s"><v>7</v></c>'),
    "a shared string index naming a value": lambda: _with_shared_strings(
        NS + b"<si><t>x</t></si></sst>", f'<c r="A2" t="s"><v>{SECRET}</v></c>'.encode()
    ),
    "billion laughs in the shared strings": lambda: _with_shared_strings(
        LAUGHS + NS + b"<si><t>&j;</t></si></sst>", b'<c r="A2" t="s"><v>0</v></c>'
    ),
    "an external entity in the shared strings": lambda: _with_shared_strings(
        b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + NS + b"<si><t>&x;</t></si></sst>",
        b'<c r="A2" t="s"><v>0</v></c>',
    ),
    "billion laughs in the sheet": lambda: _rezipped(
        _workbook(), lambda n, c: LAUGHS + c.replace(b"<t>Example Person One</t>", b"<t>&j;</t>") if n.endswith("sheet1.xml") else c
    ),
}


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_workbook_is_a_file_problem_never_an_exception_quoting_a_cell(damage):
    with pytest.raises(FileProblem) as refused:
        sheet_read(DAMAGED[damage](), filename="cases.xlsx")
    assert "not an Excel workbook we can read" in refused.value.message
    assert SECRET.split()[1] not in str(refused.value) and refused.value.__cause__ is None


def test_a_damaged_workbook_uploaded_is_a_400_with_the_reason(sign_in_fully, coordinator, area):
    bad = DAMAGED["a row number naming a value"]()
    page = sign_in_fully(coordinator).post(UPLOAD, {"area": area.pk, "file": SimpleUploadedFile("cases.xlsx", bad)})
    assert page.status_code == 400 and "not an Excel workbook we can read" in page.content.decode()
    assert not PendingImport.objects.exists()


def test_shared_strings_that_unpack_past_their_limit_are_refused_before_openpyxl_reads_them(monkeypatch):
    # 200 MB of one-letter strings (well inside the old whole-workbook limit) took minutes to read.
    monkeypatch.setattr(reading, "MAX_SHARED_STRINGS", 100_000)
    bomb = _with_shared_strings(NS + b"<si><t>x</t></si>" * 10_000 + b"</sst>", b'<c r="A2" t="s"><v>0</v></c>')
    assert len(bomb) < 20_000
    with pytest.raises(FileProblem, match="unpacks to far more"):
        sheet_read(bomb, filename="cases.xlsx")


def test_the_whole_workbook_limit_stays_near_what_a_cases_file_needs():
    assert reading.MAX_UNPACKED <= 64 * 1024 * 1024 and reading.MAX_SHARED_STRINGS <= 16 * 1024 * 1024


def test_an_area_id_too_long_for_int_is_a_form_error_not_a_500(sign_in_fully, coordinator, area, template_bytes):
    page = sign_in_fully(coordinator).post(UPLOAD, {"area": "9" * 5000, "file": SimpleUploadedFile("cases.csv", template_bytes)})
    assert page.status_code == 400 and "Choose one of your areas" in page.content.decode()


def test_a_coordinator_whose_membership_ended_after_the_check_cannot_confirm(sign_in_fully, coordinator, area, agencies, template_bytes):
    client = sign_in_fully(coordinator)
    client.post(UPLOAD, {"area": area.pk, "file": SimpleUploadedFile("cases.csv", template_bytes)})
    pending = PendingImport.objects.get()
    Membership.objects.filter(user=coordinator).update(is_active=False)
    response = client.post(reverse("imports:cases-import-confirm", args=[pending.uuid]))
    assert response.status_code in (302, 403, 404)  # signed out, or refused
    assert Case.objects.count() == 0


def test_a_cell_written_as_html_is_escaped_on_the_check_page(sign_in_fully, coordinator, area, agencies):
    rows = template_rows()
    rows[0]["Victim gender"] = "<script>alert(1)</script>"
    page = sign_in_fully(coordinator).post(UPLOAD, {"area": area.pk, "file": SimpleUploadedFile("cases.csv", csv_bytes(rows))})
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_every_row_imported_is_in_the_audit_chain(area, coordinator, agencies, template_bytes):
    import_bytes(template_bytes, area=area, by=coordinator)
    report = rows_verify()
    assert report.failed == 0 and report.counts[Kind.NOT_RECORDED] == 0 and report.checked > 10
    out = StringIO()
    call_command("verify_rows", stdout=out)
    assert "0 went back" in out.getvalue()


def test_one_access_event_for_a_web_check_and_one_for_the_confirm(sign_in_fully, coordinator, area, agencies, template_bytes):
    client = sign_in_fully(coordinator)
    before = AccessEvent.objects.count()
    client.post(UPLOAD, {"area": area.pk, "file": SimpleUploadedFile("cases.csv", template_bytes)})
    checked = AccessEvent.objects.filter(event__startswith="cases_import").values_list("event", "purpose")
    counts = "NWL (web): 2 read, 0 imported, 0 duplicates in file, 0 already cases, 0 with errors"
    assert list(checked) == [("cases_import_checked", counts)]
    assert AccessEvent.objects.count() - before >= 1


def test_a_confirm_replayed_after_it_succeeded_is_refused_and_adds_nothing(sign_in_fully, coordinator, area, agencies, template_bytes):
    client = sign_in_fully(coordinator)
    client.post(UPLOAD, {"area": area.pk, "file": SimpleUploadedFile("cases.csv", template_bytes)})
    confirm = reverse("imports:cases-import-confirm", args=[PendingImport.objects.get().uuid])
    assert client.post(confirm).status_code == 302
    assert client.post(confirm).status_code == 404
    assert Case.objects.count() == 2
    assert AccessEvent.objects.filter(event="case_import_denied", outcome="denied").count() == 1


@pytest.mark.parametrize("persona", ["referrer", "auditor", "chair"])
def test_no_one_but_the_uploader_may_confirm_or_cancel(request, sign_in_fully, coordinator, area, agencies, template_bytes, persona):
    sign_in_fully(coordinator).post(UPLOAD, {"area": area.pk, "file": SimpleUploadedFile("cases.csv", template_bytes)})
    pending = PendingImport.objects.get()
    other = sign_in_fully(request.getfixturevalue(persona))
    for name in ("imports:cases-import-confirm", "imports:cases-import-cancel"):
        assert other.post(reverse(name, args=[pending.uuid])).status_code == 404
    assert Case.objects.count() == 0 and PendingImport.objects.count() == 1


def test_an_existing_meeting_heard_keeps_its_invitations(area, coordinator, agencies, template_bytes):
    """Its invitations decide which agencies' representatives see it (meetings.access), and once
    it has ended the meetings' services refuse to change them: an import must not widen them."""
    from datetime import datetime, time

    from django.utils import timezone

    from meetings.models import Meeting

    idva, police = agencies
    held = Meeting.objects.create(
        area=area,
        starts_at=timezone.make_aware(datetime.combine(datetime(2026, 1, 15).date(), time(14))),
        chair=coordinator,
        coordinator=coordinator,
        status=Meeting.Status.CLOSED,
    )
    held.invited_agencies.add(police)
    report = import_bytes(template_bytes, area=area, by=coordinator)  # row 2 was heard on 15/01/2026, actions for both agencies
    assert len(report.imported) == 2 and Meeting.objects.count() == 1
    assert list(held.invited_agencies.all()) == [police]
    assert held.agenda_items.count() == 1


RACE = """
import threading, django
django.setup()
from django.db import connection
from marac.models import Agency, AgencyKind, MaracArea, Role
from referrals.models import Case
from tests.conftest import make_person
from tests.imports.conftest import TEMPLATE, import_bytes

area = MaracArea.objects.create(name="North West Leicestershire", short_code="NWL")
idva = Agency.objects.create(name="Loughborough Women's Aid", kind=AgencyKind.IDVA)
police = Agency.objects.create(name="Leicestershire Police", kind=AgencyKind.POLICE)
coordinator = make_person("coordinator", Role.COORDINATOR, police, area)
start, imported, failures = threading.Barrier(2), [], []

def run():
    start.wait()
    try:
        imported.append(len(import_bytes(TEMPLATE.read_bytes(), area=area, by=coordinator).imported))
    except Exception as error:
        failures.append(type(error).__name__)
    finally:
        connection.close()

threads = [threading.Thread(target=run) for _ in range(2)]
[thread.start() for thread in threads]
[thread.join() for thread in threads]
print(sorted(imported), failures, Case.objects.count())
"""


@pytest.mark.django_db
def test_two_imports_of_the_same_file_at_once_import_it_once():
    """The area's row, locked for the import's length, makes the second wait and then find the
    first's cases (SQLite's one writer at a time, taken when the transaction begins, does the same)."""
    from django.db import connection

    from tests.scratch_db import python_in_scratch_postgres

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; run with DATABASE_URL for PostgreSQL")
    assert python_in_scratch_postgres(RACE).strip().splitlines()[-1] == "[0, 2] [] 2"


def test_the_command_reads_no_more_than_the_limit_from_a_file_that_reports_no_size(monkeypatch, area, coordinator):
    """A device or a pipe has no size beforehand: /dev/zero was read until memory ran out."""
    from django.core.management import CommandError

    monkeypatch.setattr("imports.management.commands.import_cases.MAX_BYTES", 1000)
    with pytest.raises(CommandError, match="larger than"):
        call_command("import_cases", "/dev/zero", area="NWL", username="coordinator")
