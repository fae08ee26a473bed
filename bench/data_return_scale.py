"""Every area's quarterly data return at national scale (issue 18): 1,000,000 referrals in 290
areas in the kept scratch database (bench/_million.py; DATABASE_URL=.../bench_million). All 290
areas' returns in one grouped pass (reports.selectors.data_returns) against the target of 2 s,
one area's return, and the old way (data_return area by area, once), each as absolute time and as
a ratio to one COUNT(*) over the referral table in the same run; then the query plans, which
should read meetings and agenda items from indexes, not scan them."""

import statistics
import time
from datetime import date

from _harness import report
from _million import million_database, print_plans, referrals_in_database
from django.db import connection
from django.utils import timezone

million_database()

from marac.models import MaracArea  # noqa: E402
from marac.periods import rolling_year  # noqa: E402
from reports.selectors import data_return, data_returns  # noqa: E402
from reports.views import last_complete_quarter  # noqa: E402

areas = list(MaracArea.objects.order_by("pk"))
period = last_complete_quarter(timezone.localdate())
year_to_date = rolling_year(date.fromordinal(period.end.toordinal() - 1))


def count_referrals() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM referrals_referral")
        cursor.fetchone()


def all_areas() -> None:
    data_returns(areas, period, year_to_date=year_to_date)


def one_area() -> None:
    data_return(areas[0], period, year_to_date=year_to_date)


def area_by_area() -> None:
    for area in areas:
        data_return(area, period, year_to_date=year_to_date)


def median(function, repeats: int = 5) -> float:
    function()  # warm
    timings = []
    for _ in range(repeats):
        begun = time.perf_counter()
        function()
        timings.append(time.perf_counter() - begun)
    return statistics.median(timings)


baseline, together, one = median(count_referrals), median(all_areas, 3), median(one_area)
begun = time.perf_counter()
area_by_area()
old_way = time.perf_counter() - begun
heard = sum(r.heard for r in data_returns(areas, period, year_to_date=year_to_date))
print(f"({referrals_in_database():,} referrals in {len(areas)} areas on {connection.vendor}; {period.label}: {heard:,} cases heard)")
report("COUNT(*) over the referral table", baseline * 1000, "ms", "(baseline)", None)
report("Data return, all areas (data_returns)", together * 1000, "ms", "< 2000 ms", together < 2.0)
report("  as a ratio to COUNT(*)", together / baseline, "x", "(reported)", None)
report("Data return, one area", one * 1000, "ms", "(reported)", None)
report("  as a ratio to COUNT(*)", one / baseline, "x", "(reported)", None)
report("Data return, all areas one by one (once)", old_way * 1000, "ms", "(reported)", None)
report("  as a ratio to COUNT(*)", old_way / baseline, "x", "(reported)", None)
print_plans("every area's return (data_returns)", all_areas)
print_plans("one area's return (data_return)", one_area)
