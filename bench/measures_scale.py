"""The partnership's measures at national scale (issue 18): 1,000,000 referrals in 290 areas in
the kept scratch database (bench/_million.py; DATABASE_URL=.../bench_million). The measures page's
selector (reports.measures.measures_for) for one area and for all 290 over the current financial
year, against the target of 1 s each, as absolute times and as ratios to one COUNT(*) over the
referral table in the same run; then the query plans."""

import statistics
import time

from _harness import report
from _million import million_database, print_plans, referrals_in_database
from django.db import connection
from django.utils import timezone

million_database()

from marac.models import MaracArea  # noqa: E402
from marac.periods import financial_year, financial_year_of  # noqa: E402
from reports.measures import measures_for  # noqa: E402

today = timezone.localdate()
areas = list(MaracArea.objects.order_by("pk"))
period = financial_year(financial_year_of(today))


def count_referrals() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM referrals_referral")
        cursor.fetchone()


def one_area() -> None:
    measures_for(areas[:1], period, today=today)


def all_areas() -> None:
    measures_for(areas, period, today=today)


def median(function, repeats: int = 5) -> float:
    function()  # warm
    timings = []
    for _ in range(repeats):
        begun = time.perf_counter()
        function()
        timings.append(time.perf_counter() - begun)
    return statistics.median(timings)


baseline, one, every = median(count_referrals), median(one_area), median(all_areas, 3)
m = measures_for(areas, period, today=today)
print(f"({referrals_in_database():,} referrals in {len(areas)} areas on {connection.vendor}; {period.label}, {m.average}s)")
print(
    f"(across the areas: {m.across.submitted:,} referrals submitted; days to first contact {m.across.to_first_contact.shown}, "
    f"to decision {m.across.to_decision.shown}, to hearing {m.across.to_hearing.shown}; NI 32 {m.across.ni32.percentage}%; "
    f"{m.across.per_10000_year} a year per 10,000; {sum(s.due for s in m.scorecard):,} actions due)"
)
report("COUNT(*) over the referral table", baseline * 1000, "ms", "(baseline)", None)
report("Measures, one area", one * 1000, "ms", "< 1000 ms", one < 1.0)
report("  as a ratio to COUNT(*)", one / baseline, "x", "(reported)", None)
report("Measures, all areas", every * 1000, "ms", "< 1000 ms", every < 1.0)
report("  as a ratio to COUNT(*)", every / baseline, "x", "(reported)", None)
print_plans("one area's measures", one_area)
print_plans("every area's measures", all_areas)
