"""Files to import, built in the tests: the template, and broken copies of it."""

import csv
import io
from pathlib import Path

import pytest

from imports.reading import sheet_read
from imports.services import cases_import

TEMPLATE = Path(__file__).resolve().parents[2] / "imports" / "cases-template.csv"


@pytest.fixture
def template_bytes() -> bytes:
    return TEMPLATE.read_bytes()


def template_rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(TEMPLATE.read_text(encoding="utf-8"))))


def csv_bytes(rows: list[dict[str, str]], *, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator=newline)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def one_row(**changes: str) -> bytes:
    """The template's first row alone, with some cells changed (keys are the template's headings)."""
    row = template_rows()[0]
    row.update(changes)
    return csv_bytes([row])


def import_bytes(data: bytes, *, area, by, dry_run=False, good_rows_only=False, filename="cases.csv"):
    return cases_import(sheet=sheet_read(data, filename=filename), area=area, by=by, dry_run=dry_run, good_rows_only=good_rows_only)
