"""Import cases from a spreadsheet (CSV or XLSX) into one MARAC area, as a coordinator of that area
(issue 19, ADR 0029). The person named with --as is who the import is recorded as: the access
event, the cases' maker and the history all name them, so they must coordinate the area.

    manage.py import_cases cases.csv --area NWL --as j.smith --dry-run
    manage.py import_cases cases.xlsx --area NWL --as j.smith [--good-rows-only]

The report, with what was found in each wrong cell, is printed here for the person running it:
the terminal is the coordinator's check page. Nothing of it is logged."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from imports import access
from imports.reading import MAX_BYTES, FileProblem, sheet_read
from imports.services import ImportReport, cases_import


class Command(BaseCommand):
    help = "Import cases from a CSV or Excel (.xlsx) file into a MARAC area, as one of its coordinators."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV or .xlsx file (see docs/importing.md and imports/cases-template.csv).")
        parser.add_argument("--area", required=True, help="The area's short code, e.g. NWL.")
        parser.add_argument("--as", dest="username", required=True, help="The coordinator of the area the import is made by.")
        parser.add_argument("--dry-run", action="store_true", help="Check the file and report; import nothing.")
        parser.add_argument("--good-rows-only", action="store_true", help="Import the rows without errors even if others have some.")

    def handle(self, *args, file: str, area: str, username: str, dry_run: bool, good_rows_only: bool, **options):
        user, marac_area = access.command_importer(username=username, area_code=area)
        data = _read_file(Path(file))
        try:
            sheet = sheet_read(data, filename=file)
        except FileProblem as problem:
            raise self._refused(problem) from None
        # About eight rows written per case; the bar is a guide for a long import, not a count.
        bar = tqdm(total=len(sheet.rows) * 8, unit="rows", disable=dry_run or not sys.stderr.isatty(), file=sys.stderr)
        try:
            report = cases_import(
                sheet=sheet, area=marac_area, by=user, dry_run=dry_run, good_rows_only=good_rows_only, via="command", progress=bar.update
            )
        except FileProblem as problem:
            raise self._refused(problem) from None
        finally:
            bar.close()
        self._print(report)
        if report.blocked and not dry_run:
            raise CommandError("The file has errors, so nothing was imported. Correct them, or use --good-rows-only.")

    def _refused(self, problem: FileProblem) -> CommandError:
        """What was found goes to the output, for the person running the command; the error's own
        text never carries it (a wrapper might log it)."""
        if problem.found:
            self.stdout.write(f"We found: {problem.found}")
        return CommandError(problem.message)

    def _print(self, report: ImportReport) -> None:
        for notice in report.notices:
            self.stdout.write(notice)
        for e in report.errors:
            found = f" (found: {e.found!r})" if e.found else ""
            self.stdout.write(f"Row {e.row}, {e.column}: {e.problem}{found}")
        for row, earlier in report.duplicates_in_file:
            self.stdout.write(f"Row {row}: the same victim as row {earlier}; not imported twice")
        for row, reference in report.duplicates_existing:
            self.stdout.write(f"Row {row}: already case {reference} in this area; not imported")
        verb = "Checked" if report.dry_run else "Imported"
        would = f"; {len(report.ready)} would be imported" if report.dry_run else ""
        self.stdout.write(f"{verb} {report.area_code}: {report.counts()}{would}.")


def _read_file(path: Path) -> bytes:
    # Read no more than the limit and one byte: a pipe or a device reports no size beforehand.
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise CommandError(f"Cannot read the file: {error.strerror}") from None
    if len(data) > MAX_BYTES:
        raise CommandError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files")
    return data
