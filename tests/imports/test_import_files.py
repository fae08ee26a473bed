"""Importing a spreadsheet: messy files read right, every error in the person's words, duplicates
never imported twice, the counts in one access event and nothing in plain in the database."""

import io
from datetime import date, datetime

import openpyxl
import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from audit.models import AccessEvent
from imports import reading
from imports.reading import FileProblem, sheet_read
from marac.security.models import BlindIndexEntry
from meetings.models import Action, AgendaItem, Meeting, ReferralListing
from referrals.models import Case, HouseholdMember, Perpetrator, Referral, Victim
from referrals.perpetrator_links import PERPETRATOR_INDEX
from referrals.selectors import NAME_DOB_INDEX, cases_with_victim
from tests.imports.conftest import csv_bytes, import_bytes, one_row, template_rows


@pytest.fixture
def agencies(idva, police):
    return idva, police


# --- the template, and what it makes --------------------------------------------------------------


def test_the_template_makes_cases_the_rest_of_the_service_reads(area, coordinator, agencies, template_bytes):
    report = import_bytes(template_bytes, area=area, by=coordinator)
    assert (report.errors, len(report.imported)) == ([], 2)
    first = Case.objects.get(reference=report.imported[0])
    victim = first.victim
    assert (victim.name, victim.aliases, victim.date_of_birth) == ("Example Person One", ["Example Alias"], date(1989, 3, 14))
    assert (victim.gender, victim.ethnic_group, victim.disabled, victim.age_band) == ("female", "white", "no", "18_plus")
    assert victim.safe_address == "Care of the example centre, Whitwick"
    assert first.perpetrators.get().relationship_to_victim == Perpetrator.Relationship.EX_PARTNER
    assert sorted(m.name for m in HouseholdMember.objects.filter(case=first)) == ["Example Child A", "Example Child B"]
    referral = first.referrals.get()
    assert (referral.status, referral.submitted_on, referral.assessment.score) == ("accepted", date(2026, 1, 5), 16)
    assert referral.criteria == ["visible_high_risk"]
    meeting = ReferralListing.objects.get(referral=referral).meeting
    assert (meeting.status, meeting.area) == (Meeting.Status.CLOSED, area)
    assert AgendaItem.objects.get(case=first).section == AgendaItem.Section.CHILDREN
    assert sorted(a.agency.name for a in Action.objects.filter(case=first)) == ["Leicestershire Police", "Loughborough Women's Aid"]
    second = Case.objects.get(reference=report.imported[1])
    level = second.referrals.get().assessment
    assert (level.score, level.level, second.referrals.get().status) == (11, "high", "submitted")  # the sheet's level, not lowered
    # References as case_create gives them, and the next case_create carries on after the block.
    year = date.today().year
    assert report.imported == [f"NWL-{year}-0001", f"NWL-{year}-0002"]
    from tests.conftest import make_case

    assert make_case(area, agencies[0], coordinator).reference == f"NWL-{year}-0003"


def test_imported_victims_and_perpetrators_are_indexed_for_repeats_and_links(area, coordinator, agencies, template_bytes):
    report = import_bytes(template_bytes, area=area, by=coordinator)
    found = cases_with_victim(Case.objects.all(), "example  PERSON one", date(1989, 3, 14))
    assert [c.reference for c in found] == [report.imported[0]]
    assert cases_with_victim(Case.objects.all(), "Example Alias", date(1989, 3, 14)).count() == 1
    assert BlindIndexEntry.objects.filter(index_name=PERPETRATOR_INDEX).count() == 1  # the second has no date of birth
    assert BlindIndexEntry.objects.filter(index_name=NAME_DOB_INDEX).count() == 3


def test_an_existing_meeting_on_a_day_heard_is_used_not_made_again(area, coordinator, agencies, template_bytes):
    import_bytes(template_bytes, area=area, by=coordinator)
    rows = template_rows()
    rows[0].update({"Victim name": "Example Person Three", "Victim other names": ""})
    import_bytes(csv_bytes(rows[:1]), area=area, by=coordinator)
    assert Meeting.objects.count() == 1
    assert list(AgendaItem.objects.order_by("position").values_list("position", flat=True)) == [1, 2]


# --- duplicates ----------------------------------------------------------------------------------


def test_importing_the_same_file_again_adds_nothing(area, coordinator, agencies, template_bytes):
    import_bytes(template_bytes, area=area, by=coordinator)
    counts = {m: m.objects.count() for m in (Case, Victim, Referral, Meeting, Action, BlindIndexEntry)}
    again = import_bytes(template_bytes, area=area, by=coordinator)
    assert (again.imported, [row for row, _ in again.duplicates_existing]) == ([], [2, 3])
    assert {m: m.objects.count() for m in counts} == counts


def test_the_same_victim_twice_in_a_file_is_imported_once(area, coordinator, agencies):
    first = template_rows()[0]
    again = {**first, "Victim name": "  EXAMPLE person   one ", "Referral date": "06/01/2026"}
    report = import_bytes(csv_bytes([first, again]), area=area, by=coordinator)
    assert (len(report.imported), report.duplicates_in_file) == (1, [(3, 2)])


def test_a_victim_known_in_another_area_is_not_a_duplicate_here(area, other_area, coordinator, agencies, template_bytes):
    from tests.conftest import make_person

    elsewhere = make_person("other_coordinator", "coordinator", agencies[1], other_area)
    import_bytes(template_bytes, area=other_area, by=elsewhere)
    assert len(import_bytes(template_bytes, area=area, by=coordinator).imported) == 2


# --- errors and what a file with errors does ---------------------------------------------------


@pytest.mark.parametrize(
    "column,value,problem",
    [
        ("Victim name", "", "Give the name"),
        ("Victim name", "x" * 201, "Too long: 200 characters at most"),
        ("Victim date of birth", "", "Give the date"),
        ("Victim date of birth", "03/14/1989", "month first"),
        ("Victim date of birth", "14/03/89", "Write the year in full"),
        ("Victim date of birth", "31/02/1989", "Not a real date"),
        ("Victim date of birth", "1989", "Not a real date"),
        ("Victim date of birth", "14/03/2099", "cannot be in the future"),
        ("Victim gender", "sometimes", "Write female, male, non-binary or not known"),
        ("Victim ethnic group", "martian", "Write white, mixed"),
        ("Victim disabled", "maybe", "Write yes, no or not known"),
        ("Perpetrator relationship", "neighbour", "Write partner, former partner"),
        ("Perpetrator relationship", "", "Give the perpetrator's relationship"),
        ("Perpetrator name", "", "Give the perpetrator's name, or leave their other columns empty"),
        ("Children", "99", "No more than 20 children"),
        ("Referral date", "", "Give the date"),
        ("Referring agency", "Acme Security", "No agency has that name"),
        ("Risk score", "25", "whole number from 0 to 24"),
        ("Risk score", "high", "whole number from 0 to 24"),
        ("Risk level", "extreme", "Write standard, medium or high"),
        ("Meetings heard", "01/01/2026", "cannot be before the referral date"),
        ("Meetings heard", "15/01/2026; soon", "Not a real date"),
        ("Actions", "just do it", "Write each action as 'agency: what it will do'"),
        ("Actions", "Acme Security: phone her", "No agency has that name"),
    ],
)
def test_each_wrong_cell_is_reported_by_row_column_problem_and_what_was_found(area, coordinator, agencies, column, value, problem):
    report = import_bytes(one_row(**{column: value}), area=area, by=coordinator)
    assert [(e.row, e.column) for e in report.errors] == [(2, column)]
    assert problem in report.errors[0].problem
    assert report.errors[0].found == value[:80]
    assert (report.imported, Case.objects.count()) == ([], 0)


def test_no_risk_score_nor_level_is_an_error(area, coordinator, agencies):
    report = import_bytes(one_row(**{"Risk score": "", "Risk level": ""}), area=area, by=coordinator)
    assert [(e.column, e.problem[:25]) for e in report.errors] == [("Risk score", "Give the risk score (0 to")]


def test_actions_need_a_meeting_heard(area, coordinator, agencies):
    report = import_bytes(one_row(**{"Meetings heard": ""}), area=area, by=coordinator)
    assert [e.column for e in report.errors] == ["Actions"]


def test_a_file_with_any_error_imports_nothing_unless_the_good_rows_are_asked_for(area, coordinator, agencies):
    good, bad = template_rows()
    bad["Victim date of birth"] = "11/31/1994"
    data = csv_bytes([good, bad])
    refused = import_bytes(data, area=area, by=coordinator)
    assert (refused.blocked, refused.imported, Case.objects.count()) == (True, [], 0)
    taken = import_bytes(data, area=area, by=coordinator, good_rows_only=True)
    assert (taken.blocked, len(taken.imported), taken.rows_with_errors) == (False, 1, 1)
    assert Case.objects.count() == 1


def test_a_dry_run_writes_nothing_and_is_logged_as_a_check(area, coordinator, agencies, template_bytes):
    report = import_bytes(template_bytes, area=area, by=coordinator, dry_run=True)
    assert (len(report.ready), report.imported, Case.objects.count(), Meeting.objects.count()) == (2, [], 0, 0)
    assert list(AccessEvent.objects.filter(event__startswith="cases_").values_list("event", flat=True)) == ["cases_import_checked"]


# --- messy files ---------------------------------------------------------------------------------


def test_a_messy_windows_file_reads_as_the_clean_one(area, coordinator, agencies):
    rows = template_rows()
    rows[0]["Victim name"] = "Zoë Exampleton"  # é in Windows-1252 is one byte that is not UTF-8
    messy = [{f"  {k.upper()} ": f"  {v}  " for k, v in row.items()} for row in rows]
    data = b"\xef\xbb\xbf" + csv_bytes(messy, encoding="cp1252", newline="\r\n") + b",,,,\r\n\r\n  \r\n"
    report = import_bytes(data, area=area, by=coordinator)
    assert (report.errors, len(report.imported), report.rows_read) == ([], 2, 2)
    assert Case.objects.get(reference=report.imported[0]).victim.name == "Zoë Exampleton"


def test_utf8_with_a_byte_order_mark_reads(area, coordinator, agencies, template_bytes):
    report = import_bytes(
        b"\xef\xbb\xbf" + template_bytes.replace(b"Example Person One", "Zoë Example".encode()), area=area, by=coordinator
    )
    assert Case.objects.get(reference=report.imported[0]).victim.name == "Zoë Example"


@pytest.mark.parametrize(
    "written,expected",
    [
        ("32581", date(1989, 3, 14)),
        ("32581.0", date(1989, 3, 14)),
        ("1989-03-14", date(1989, 3, 14)),
        ("14.03.1989", date(1989, 3, 14)),
        ("4/3/1989", date(1989, 3, 4)),
    ],
)
def test_dates_day_first_iso_or_excel_serial(area, coordinator, agencies, written, expected):
    report = import_bytes(one_row(**{"Victim date of birth": written}), area=area, by=coordinator)
    assert report.errors == []
    assert Case.objects.get().victim.date_of_birth == expected


def _xlsx(rows: list[dict[str, str]], *, extra_sheet: bool = False, dates: bool = True) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Cases"
    sheet.append(list(rows[0]))
    for row in rows:
        values = list(row.values())
        if dates:  # the date of birth as Excel keeps it: a real date cell
            values[2] = datetime(1989, 3, 14)
        values[17] = int(values[17])  # the score as a number
        sheet.append(values)
    if extra_sheet:
        book.create_sheet("Notes").append(["not cases"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_workbook_reads_with_its_date_and_number_cells(area, coordinator, agencies):
    report = import_bytes(_xlsx(template_rows()[:1]), area=area, by=coordinator, filename="cases.xlsx")
    assert (report.errors, len(report.imported), report.notices) == ([], 1, [])
    assert Case.objects.get().victim.date_of_birth == date(1989, 3, 14)


def test_only_the_first_sheet_of_a_workbook_is_read_and_the_person_told(area, coordinator, agencies):
    report = import_bytes(_xlsx(template_rows()[:1], extra_sheet=True), area=area, by=coordinator, filename="cases.xlsx")
    assert report.notices == ["The workbook has 2 sheets: only the first was read."]
    assert len(report.imported) == 1


def test_a_formula_is_read_as_its_value_never_evaluated(area, coordinator, agencies):
    book = openpyxl.Workbook()
    rows = template_rows()[:1]
    book.active.append(list(rows[0]))
    values = list(rows[0].values())
    values[0] = '=HYPERLINK("http://example.invalid","x")'  # saved by openpyxl without a cached value
    book.active.append(values)
    out = io.BytesIO()
    book.save(out)
    report = import_bytes(out.getvalue(), area=area, by=coordinator, filename="cases.xlsx")
    assert [(e.column, e.problem) for e in report.errors] == [("Victim name", "Give the name")]


# --- files that cannot be read -------------------------------------------------------------------


@pytest.mark.parametrize(
    "data,filename,message",
    [
        (b"", "cases.csv", "The file is empty"),
        (b"  \r\n\r\n", "cases.csv", "The file is empty"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "cases.xls", "old Excel (.xls)"),
        (b"not a zip at all", "cases.xlsx", "named as an Excel workbook but is not one"),
        (b"PK\x03\x04broken", "cases.xlsx", "not an Excel workbook we can read"),
        (b"Victim name,Referral date\n", "cases.csv", "These are missing: Victim date of birth, Referring agency"),
        (b"a\x00b,c\n1,2\n", "cases.csv", "does not look like a CSV file"),
        (b'Victim name\n"never closed\n', "cases.csv", "is not valid CSV"),
        (b"x\n" + b"y" * 2001 + b"\n", "cases.csv", "a cell longer than 2,000 characters"),
        (b",".join([b"c"] * 41) + b"\n", "cases.csv", "more than 40 columns"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(area, coordinator, agencies, data, filename, message):
    with pytest.raises(FileProblem) as refused:
        import_bytes(data, area=area, by=coordinator, filename=filename)
    assert message in refused.value.message


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)
    with pytest.raises(FileProblem, match="larger than"):
        sheet_read(b"x" * 1001)


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_opened(monkeypatch):
    monkeypatch.setattr(reading, "MAX_UNPACKED", 1000)
    with pytest.raises(FileProblem, match="unpacks to far more"):
        sheet_read(_xlsx(template_rows()[:1]), filename="cases.xlsx")


def test_a_file_over_the_row_limit_is_refused(monkeypatch, template_bytes):
    monkeypatch.setattr(reading, "MAX_ROWS", 1)
    with pytest.raises(FileProblem, match="more than 1 rows of cases"):
        sheet_read(template_bytes)


def test_an_unknown_or_repeated_column_refuses_the_file_and_shows_only_the_coordinator_its_name(
    area, coordinator, agencies, template_bytes
):
    misspelt = template_bytes.replace(b"Victim phone", b"Victim fone", 1)
    with pytest.raises(FileProblem) as refused:
        import_bytes(misspelt, area=area, by=coordinator)
    assert (refused.value.found, "fone" in str(refused.value)) == ("Victim fone", False)
    with pytest.raises(FileProblem, match="appears twice"):
        import_bytes(template_bytes.replace(b"Victim phone", b"victim_PHONE  ,Victim phone", 1), area=area, by=coordinator)


# --- the access event and what is stored ---------------------------------------------------------


def test_one_access_event_per_import_with_its_counts_and_no_values(area, coordinator, agencies):
    good, bad = template_rows()
    bad["Victim gender"] = "Secretvalue"
    data = csv_bytes([good, bad, good])
    import_bytes(data, area=area, by=coordinator, good_rows_only=True)
    event = AccessEvent.objects.get(event="cases_imported")
    assert (event.user, event.outcome) == (coordinator, "allowed")
    assert event.purpose == "NWL (web): 3 read, 1 imported, 1 duplicates in file, 0 already cases, 1 with errors"
    logged = " ".join(f"{e.event} {e.case_reference} {e.fields} {e.purpose}" for e in AccessEvent.objects.all())
    for value in ("Secretvalue", "Example Person", "Example Partner", "Example Child", "1989", "Example Street", "safety plan"):
        assert value not in logged


def test_no_value_from_the_file_is_stored_in_plain_anywhere(area, coordinator, agencies, template_bytes):
    import_bytes(template_bytes, area=area, by=coordinator)
    plain = [
        b"Example Person",
        b"Example Alias",
        b"Example Partner",
        b"Example Child",
        b"Example Street",
        b"example centre",
        b"07700 9000",
        b"safety plan",
        b"1989-03-14",
    ]
    for model in apps.get_models():
        for row in model._base_manager.values_list(*[f.attname for f in model._meta.concrete_fields]):
            stored = b" ".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row)
            assert not [p for p in plain if p in stored], model.__name__


# --- the command ---------------------------------------------------------------------------------


def test_the_command_imports_as_a_coordinator_of_the_area(tmp_path, area, coordinator, agencies, template_bytes, capsys):
    path = tmp_path / "cases.csv"
    path.write_bytes(template_bytes)
    call_command("import_cases", str(path), area="NWL", username="coordinator", dry_run=True)
    assert "Checked NWL: 2 read, 0 imported" in capsys.readouterr().out
    call_command("import_cases", str(path), area="NWL", username="coordinator")
    assert Case.objects.count() == 2
    call_command("import_cases", str(path), area="NWL", username="coordinator")
    out = capsys.readouterr().out
    assert "Row 2: already case" in out and Case.objects.count() == 2
    assert AccessEvent.objects.filter(event="cases_imported", purpose__startswith="NWL (command)").count() == 2


def test_the_command_shows_what_was_found_and_refuses_a_file_with_errors(tmp_path, area, coordinator, agencies, capsys):
    path = tmp_path / "cases.csv"
    path.write_bytes(one_row(**{"Victim date of birth": "03/14/1989"}))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_cases", str(path), area="NWL", username="coordinator")
    assert "Row 2, Victim date of birth: This looks like month first" in capsys.readouterr().out
    assert "found: '03/14/1989'" not in str(AccessEvent.objects.values_list("purpose", flat=True))


@pytest.mark.parametrize("persona", ["referrer", "auditor", "chair", "unrelated"])
def test_the_command_refuses_anyone_but_a_coordinator_of_the_area_and_logs_it(request, tmp_path, area, agencies, template_bytes, persona):
    user = request.getfixturevalue(persona)
    path = tmp_path / "cases.csv"
    path.write_bytes(template_bytes)
    with pytest.raises(CommandError, match="only the area's coordinators may import"):
        call_command("import_cases", str(path), area="NWL", username=user.username)
    assert Case.objects.count() == 0
    assert list(AccessEvent.objects.filter(outcome="denied").values_list("event", "user")) == [("case_import_denied", user.pk)]


def test_the_command_refuses_a_coordinator_of_another_area(tmp_path, area, other_area, agencies, template_bytes):
    from tests.conftest import make_person

    make_person("elsewhere", "coordinator", agencies[1], other_area)
    path = tmp_path / "cases.csv"
    path.write_bytes(template_bytes)
    with pytest.raises(CommandError):
        call_command("import_cases", str(path), area="NWL", username="elsewhere")
    assert Case.objects.count() == 0


def test_the_command_prints_what_it_found_in_a_bad_header_but_keeps_it_out_of_the_error(tmp_path, area, coordinator, agencies, capsys):
    path = tmp_path / "cases.csv"
    path.write_bytes(b"Jane Example,14/03/1989\n")  # no header row: the first row is a case
    with pytest.raises(CommandError) as refused:
        call_command("import_cases", str(path), area="NWL", username="coordinator")
    assert "Jane Example" not in str(refused.value)
    assert "We found: Jane Example" in capsys.readouterr().out


def test_a_meeting_heard_today_is_refused_since_it_may_be_running(area, coordinator, agencies):
    today = timezone.localdate().strftime("%d/%m/%Y")
    report = import_bytes(one_row(**{"Meetings heard": today}), area=area, by=coordinator)
    assert [(e.row, e.column) for e in report.errors] == [(2, "Meetings heard")]
    assert "must be before today" in report.errors[0].problem
    assert Case.objects.count() == 0


def test_a_utf8_file_with_one_stray_windows_byte_is_refused_not_garbled(area, coordinator, agencies):
    rows = template_rows()
    rows[0]["Victim name"] = "Zoë Exampleton"  # UTF-8
    rows[1]["Victim name"] = "Chloé Example"
    data = csv_bytes(rows).replace("Chloé".encode(), "Chloé".encode("cp1252"))  # one stray byte
    with pytest.raises(FileProblem, match="mixes two character sets"):
        sheet_read(data, filename="cases.csv")
