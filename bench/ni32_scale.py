"""NI 32 for every area over a financial year, plus the full quarterly data return for one area,
over N synthetic referrals in M areas (seed_scale): the total time against the target of one
second, and as a ratio to one COUNT(*) over the referral table in the same run.

On PostgreSQL (DATABASE_URL) the default is the issue's 1,000,000 referrals in 290 areas, which
takes some minutes to create; on the default in-memory SQLite, 20,000 in 29 areas.
BENCH_NI32_REFERRALS and BENCH_NI32_AREAS override them."""

import os
import statistics
import time
from io import StringIO

from _harness import report, test_database
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

test_database()

from marac.models import MaracArea  # noqa: E402
from marac.periods import financial_year, financial_year_of, quarter_of, rolling_year  # noqa: E402
from reports.selectors import data_return, ni32_by_area  # noqa: E402

ON_POSTGRES = connection.vendor == "postgresql"
REFERRALS = int(os.environ.get("BENCH_NI32_REFERRALS", "1000000" if ON_POSTGRES else "20000"))
AREAS = int(os.environ.get("BENCH_NI32_AREAS", "290" if ON_POSTGRES else "29"))

started = time.perf_counter()
call_command("seed_scale", referrals=REFERRALS, areas=AREAS, stdout=StringIO())
seeded = time.perf_counter() - started
if ON_POSTGRES:
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

today = timezone.localdate()
areas = list(MaracArea.objects.all())
year, this_quarter = financial_year(financial_year_of(today)), quarter_of(today)


def count_referrals() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM referrals_referral")
        cursor.fetchone()


def figures() -> None:
    ni32_by_area(year, areas)
    data_return(areas[0], this_quarter, year_to_date=rolling_year(today))


def median(function, repeats: int = 5) -> float:
    function()  # warm
    timings = []
    for _ in range(repeats):
        begun = time.perf_counter()
        function()
        timings.append(time.perf_counter() - begun)
    return statistics.median(timings)


baseline, total = median(count_referrals), median(figures)
print(f"({REFERRALS:,} referrals in {AREAS} areas on {connection.vendor}, created in {seeded:.0f} s)")
report("COUNT(*) over the referral table", baseline * 1000, "ms", "(baseline)", None)
report("NI 32 every area for a year + one data return", total * 1000, "ms", "< 1000 ms", total < 1.0)
report("  as a ratio to COUNT(*)", total / baseline, "x", "(reported)", None)
