"""Importing a 10,000-row cases spreadsheet (issue 19, ADR 0029; target: dry run and import together
under 60 s). On SQLite by default (in memory); BENCH_ENGINE=postgres runs it on PostgreSQL
(DATABASE_URL if it names PostgreSQL, else BENCH_POSTGRES_URL or the local server), in a scratch
database named by BENCH_TEST_DATABASE (default bench_<pid>). BENCH_IMPORT_ROWS sets the rows.

Timed, in one run: reading the file alone (CSV, and the same rows as XLSX), the dry run (every row
checked, every victim looked up by blind index), the import, and a second dry run of the same file
(every row a duplicate). The baseline, in the same run: the same cases made one at a time through
the services (case_create, perpetrator_add, household_member_add), on a sample, extrapolated.
"""

import csv
import io
import os
import random
import time
from datetime import date, timedelta

if os.environ.get("BENCH_ENGINE") == "postgres":
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        os.environ["DATABASE_URL"] = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/bench")
else:
    os.environ["DATABASE_URL"] = "sqlite://:memory:"

import _harness
from _harness import report
from django.db import connection

from imports.reading import sheet_read
from imports.rows import COLUMNS
from imports.services import cases_import
from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from referrals import services
from referrals.models import Case

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
SAMPLE = 200  # cases made one at a time for the baseline
TARGET_SECONDS = 60.0


def scratch_database() -> None:
    name = os.environ.get("BENCH_TEST_DATABASE")
    if name and connection.vendor != "sqlite":
        import atexit

        from django.test.utils import setup_test_environment

        original = connection.settings_dict["NAME"]
        setup_test_environment()
        connection.settings_dict["TEST"]["NAME"] = name
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        atexit.register(connection.creation.destroy_test_db, original, verbosity=0)
    else:
        _harness.test_database()


def people() -> tuple[MaracArea, User, list[Agency]]:
    area = MaracArea.objects.create(name="North West Leicestershire", short_code="NWL")
    agencies = [
        Agency.objects.create(name="Loughborough Women's Aid", kind=AgencyKind.IDVA),
        Agency.objects.create(name="Leicestershire Police", kind=AgencyKind.POLICE),
        Agency.objects.create(name="Leicestershire Children's Social Care", kind=AgencyKind.CHILDRENS_SOCIAL_CARE),
    ]
    coordinator = User.objects.create(username="coordinator")
    Membership.objects.create(user=coordinator, agency=agencies[1], area=area, role=Role.COORDINATOR)
    return area, coordinator, agencies


def spreadsheet_rows(count: int, agencies: list[Agency], *, prefix: str = "Person") -> list[list[str]]:
    """Made-up people, most heard at one of 24 meetings, a third with children and actions."""
    rng = random.Random(19)  # noqa: S311  # made-up rows, repeatable: no secret here
    meeting_days = [date(2025, 1, 15) + timedelta(days=14 * n) for n in range(24)]
    rows = []
    for n in range(count):
        heard = rng.choice(meeting_days) if rng.random() < 0.8 else None
        referred = (heard or date(2025, 12, 1)) - timedelta(days=rng.randint(3, 20))
        children = rng.choice(["", "", "1", "Child A; Child B"])
        actions = f"{agencies[0].name}: safety plan; {agencies[1].name}: flag the address" if heard and rng.random() < 0.4 else ""
        rows.append(
            [
                f"{prefix} {n} Synthetic",
                "",
                (date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))).strftime("%d/%m/%Y"),
                rng.choice(["Female", "Female", "Male"]),
                rng.choice(["White", "Asian", "Not known"]),
                "No",
                "No",
                f"{n} Example Street, Coalville",
                "07700 900000",
                "",
                "",
                f"Perpetrator {n} Synthetic",
                (date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))).strftime("%d/%m/%Y"),
                "Former partner",
                children,
                referred.strftime("%d/%m/%Y"),
                rng.choice(agencies).name,
                str(rng.randint(10, 24)),
                "",
                heard.strftime("%d/%m/%Y") if heard else "",
                actions,
            ]
        )
    return rows


def as_csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.heading for c in COLUMNS])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[list[str]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Cases")
    sheet.append([c.heading for c in COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def per_row_baseline(area: MaracArea, by: User, agencies: list[Agency]) -> float:
    """Seconds a case through the services, one at a time: a victim, a perpetrator, a child."""
    today = date.today()

    def make() -> None:
        for n in range(SAMPLE):
            case = services.case_create(
                area=area, referring_agency=agencies[0], victim={"name": f"Baseline {n}", "date_of_birth": date(1980, 1, 1)}, by=by
            )
            services.perpetrator_add(
                case=case,
                details={"name": f"Baseline perpetrator {n}", "date_of_birth": date(1979, 1, 1), "relationship_to_victim": "partner"},
                by=by,
                today=today,
            )
            services.household_member_add(case=case, details={"name": "Child"}, is_child=True, by=by, today=today)

    seconds, _ = timed(make)
    return seconds / SAMPLE


def main() -> None:
    scratch_database()
    area, coordinator, agencies = people()
    engine = connection.vendor
    rows = spreadsheet_rows(ROWS, agencies)
    data = as_csv(rows)
    xlsx = as_xlsx(rows)
    read_seconds, sheet = timed(lambda: sheet_read(data, filename="cases.csv"))
    xlsx_seconds, _ = timed(lambda: sheet_read(xlsx, filename="cases.xlsx"))

    def run(dry_run: bool):
        return cases_import(sheet=sheet, area=area, by=coordinator, dry_run=dry_run, good_rows_only=False, via="bench")

    dry_seconds, dry = timed(lambda: run(True))
    import_seconds, done = timed(lambda: run(False))
    again_seconds, again = timed(lambda: run(True))
    assert (len(dry.ready), len(done.imported), len(again.duplicates_existing)) == (ROWS, ROWS, ROWS), (dry.counts(), done.counts())
    assert Case.objects.count() == ROWS
    per_case = per_row_baseline(area, coordinator, agencies)
    total = dry_seconds + import_seconds
    print(f"{ROWS:,} rows on {engine}: CSV {len(data) / 1e6:.1f} MB, XLSX {len(xlsx) / 1e6:.1f} MB")
    report(f"import {ROWS} rows [{engine}]: read CSV", read_seconds, "s", "-", None)
    report(f"import {ROWS} rows [{engine}]: read XLSX", xlsx_seconds, "s", "-", None)
    report(f"import {ROWS} rows [{engine}]: dry run", dry_seconds, "s", "-", None)
    report(f"import {ROWS} rows [{engine}]: import", import_seconds, "s", "-", None)
    report(f"import {ROWS} rows [{engine}]: dry run + import", total, "s", f"< {TARGET_SECONDS:.0f} s", total < TARGET_SECONDS)
    report(f"import {ROWS} rows [{engine}]: re-check, all duplicates", again_seconds, "s", "-", None)
    report(f"import {ROWS} rows [{engine}]: per-row services, extrapolated", per_case * ROWS, "s", "baseline", None)
    report(f"import {ROWS} rows [{engine}]: speed-up over per-row", per_case * ROWS / import_seconds, "x", "-", None)


if __name__ == "__main__":
    main()
