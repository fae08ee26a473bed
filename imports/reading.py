"""Reading a spreadsheet into rows of text cells, whatever state it arrives in (issue 19).

CSV or XLSX, decided by what the bytes are, not by the file's name. Real files are messy: a
byte-order mark, Windows line endings, cells padded with spaces, text saved as Windows-1252, blank
rows at the end, an Excel workbook with several sheets. Each is handled here, so the checks in
`rows.py` see clean text cells only. Formulas in a workbook are read as the value Excel last
calculated (data_only), never evaluated.

A problem with the file as a whole is a `FileProblem`, whose text is fit to show anyone and to
log: it never carries a value from the file. What it found (a column name, say) is kept apart in
`found`, shown only to the coordinator who uploaded the file.
"""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

MAX_BYTES = 10 * 1024 * 1024  # 10 MB: years of an area's cases fit in a fraction of that
MAX_ROWS = 20_000  # rows of cases, not counting the column names
MAX_COLUMNS = 40
MAX_CELL = 2_000  # characters in one cell
# Rows read in all, blank ones included: formatted but empty rows below the data are common in
# workbooks, a million of them is not a cases file.
MAX_LINES = 200_000
# A workbook's contents once unzipped. 20,000 rows of the template's columns unpack to about
# 25 MB; openpyxl parses about a megabyte of XML a second, so 200 MB of tiny cells kept a web
# worker busy for minutes. The shared strings are read whole, into memory, before the first row.
MAX_UNPACKED = 64 * 1024 * 1024
MAX_SHARED_STRINGS = 16 * 1024 * 1024
NOT_A_WORKBOOK = "This is not an Excel workbook we can read: save it again as .xlsx or as CSV"

XLSX_MAGIC = b"PK\x03\x04"  # an .xlsx workbook is a zip archive
XLS_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format, which we do not read


class FileProblem(Exception):
    """The file cannot be read at all. `str()` is the message only; `found` is what was found,
    for the coordinator's eyes alone (never in a log or an exception message)."""

    def __init__(self, message: str, *, found: str = ""):
        super().__init__(message)
        self.message = message
        self.found = found


@dataclass
class Sheet:
    """The cells read, as text: the column names and each non-blank row with its number as the
    spreadsheet shows it (the column names are row 1)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    notices: list[str] = field(default_factory=list)


def sheet_read(data: bytes, *, filename: str = "") -> Sheet:
    """The file's cells, or FileProblem saying why it cannot be read."""
    if not data.strip():
        raise FileProblem("The file is empty")
    if len(data) > MAX_BYTES:
        raise FileProblem(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB: split it into smaller files")
    if data.startswith(XLS_MAGIC):
        raise FileProblem("This is an old Excel (.xls) file: save it as an Excel workbook (.xlsx) or as CSV, and upload that")
    if data.startswith(XLSX_MAGIC):
        lines, notices = _xlsx_lines(data)
    elif filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise FileProblem("This file is named as an Excel workbook but is not one: save it again as .xlsx or as CSV")
    else:
        lines, notices = _csv_lines(data), []
    return _sheet(lines, notices)


def _sheet(lines: Iterator[list[str]], notices: list[str]) -> Sheet:
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, cells in enumerate(lines, start=1):
        if number > MAX_LINES:
            raise FileProblem(f"The file has more than {MAX_LINES:,} rows, most of them blank: delete the blank rows and upload it again")
        cells = [cell.strip() for cell in cells]
        if len(cells) > MAX_COLUMNS and any(cells[MAX_COLUMNS:]):
            raise FileProblem(f"Row {number} has more than {MAX_COLUMNS} columns: a cases file has {MAX_COLUMNS} at most")
        cells = cells[:MAX_COLUMNS]
        if not any(cells):
            continue  # blank rows, at the end above all, are not cases
        if header is None:
            header = cells
            continue
        if len(rows) == MAX_ROWS:
            raise FileProblem(f"The file has more than {MAX_ROWS:,} rows of cases: split it into smaller files")
        rows.append((number, cells))
    if header is None:
        raise FileProblem("The file has no rows")
    return Sheet(header=header, rows=rows, notices=notices)


def _text(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as Excel on Windows saves."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    data = data.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark on Windows-1252 text
    if _has_utf8_letters(data):
        # Mostly UTF-8 with a stray byte: read as Windows-1252 every accented name would be garbled,
        # silently, and no longer match its case as a duplicate.
        raise FileProblem("The file mixes two character sets: save it as 'CSV UTF-8' and upload it again")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise FileProblem("The file's text is in a character set we cannot read: save it as 'CSV UTF-8' and upload it again") from None


def _has_utf8_letters(data: bytes) -> bool:
    """Whether the bytes hold a UTF-8 encoded letter past ASCII (a lead byte and its continuation)."""
    return re.search(rb"[\xc2-\xf4][\x80-\xbf]", data) is not None


def _csv_lines(data: bytes) -> Iterator[list[str]]:
    text = _text(data)
    if "\x00" in text:
        raise FileProblem("This does not look like a CSV file: choose a CSV or Excel (.xlsx) file")
    # newline="" lets the csv module keep a line break inside a quoted cell and read \r\n, \r or \n.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for cells in reader:
            if any(len(cell) > MAX_CELL for cell in cells):
                raise FileProblem(f"Row {reader.line_num} has a cell longer than {MAX_CELL:,} characters")
            yield cells
    except csv.Error:
        raise FileProblem(f"Row {reader.line_num} is not valid CSV (a quote mark left open, perhaps)") from None


def _xlsx_lines(data: bytes) -> tuple[Iterator[list[str]], list[str]]:
    import openpyxl  # type: ignore[import-untyped]  # no stubs installed; only imported when a workbook is uploaded (slow to import)

    try:
        # A workbook is a zip: 10 MB of it can unpack to gigabytes (openpyxl reads the shared
        # strings whole). Refused before anything is unpacked (zipfile holds each part to the
        # size its directory declares: a part that unpacks to more fails its check).
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileProblem(NOT_A_WORKBOOK) from None
    shared_strings = sum(e.file_size for e in entries if e.filename.lower().endswith("sharedstrings.xml"))
    if sum(e.file_size for e in entries) > MAX_UNPACKED or shared_strings > MAX_SHARED_STRINGS:
        raise FileProblem("This workbook unpacks to far more than a cases file holds: save it as CSV and upload that")
    # A damaged workbook fails anywhere in openpyxl, the zip module or the XML parser, with any
    # exception, whose text may quote a cell: none of it may reach a 500 page or a log.
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        sheet_count = len(book.sheetnames)
    except Exception:
        raise FileProblem(NOT_A_WORKBOOK) from None
    notices = []
    if sheet_count > 1:
        notices.append(f"The workbook has {sheet_count} sheets: only the first was read.")

    def lines() -> Iterator[list[str]]:
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1), start=1):
                cells = [_cell_text(value) for value in values]
                if any(len(cell) > MAX_CELL for cell in cells):
                    raise FileProblem(f"Row {number} has a cell longer than {MAX_CELL:,} characters")
                yield cells
        except FileProblem:
            raise
        except Exception:
            raise FileProblem(NOT_A_WORKBOOK) from None
        finally:
            book.close()

    return lines(), notices


def _cell_text(value: object) -> str:
    """A workbook cell as the text a CSV would hold: dates as ISO dates (Excel keeps them as
    serial numbers; openpyxl turns those formatted as dates into datetimes), whole numbers
    without a decimal point."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def column_key(name: str) -> str:
    """Column names match whatever their case, spaces, underscores or punctuation."""
    return re.sub(r"[^a-z0-9]", "", name.casefold())
