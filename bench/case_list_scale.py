"""The case list at scale (issue 16): a coordinator's first page, a later page, a risk filter and
a sort, on a PostgreSQL database already filled by `manage.py seed_scale` (300,000 referrals in 20
areas, or as many as were made), against the home page in the same run.

Before issue 16 the list ORed a subquery per grant with the area conditions, so PostgreSQL read
and sorted every case (about 500 ms median, 15 requests a second under gunicorn, at 300,000),
and decrypted and logged 200 rows. Target: under 100 ms with paging. It also times the old and
the new access query alone for the same page, so the index's part shows on its own.

    createdb h16_scale
    DATABASE_URL=postgres://.../h16_scale MARAC_ENV=test manage.py migrate
    DATABASE_URL=postgres://.../h16_scale MARAC_ENV=test manage.py seed_scale --referrals 300000 --areas 20
    BENCH_SCALE_DATABASE_URL=postgres://.../h16_scale python bench/case_list_scale.py

It writes into that database only a coordinator (and their sign-in and access events). Without
BENCH_SCALE_DATABASE_URL it says why and exits SKIPPED: the seeding takes most of an hour.
"""

import os
import statistics
import sys
import time

if not os.environ.get("BENCH_SCALE_DATABASE_URL"):
    print("SKIPPED: set BENCH_SCALE_DATABASE_URL to a PostgreSQL database filled by seed_scale (see the docstring)")
    sys.exit(77)
os.environ["DATABASE_URL"] = os.environ["BENCH_SCALE_DATABASE_URL"]

from _harness import report  # noqa: E402  (configures Django on the database above)
from django.core.signals import request_finished, request_started  # noqa: E402
from django.db import close_old_connections, connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from marac.models import Agency, MaracArea, Membership, Role, User  # noqa: E402
from marac.second_factor import AuthenticatorApp  # noqa: E402
from marac.viewer import Viewer  # noqa: E402
from referrals.access import cases_for, cases_listed_for  # noqa: E402
from referrals.models import Case  # noqa: E402
from tests.conftest import sign_in_with_both_factors  # noqa: E402

setup_test_environment()
request_started.disconnect(close_old_connections)
request_finished.disconnect(close_old_connections)

total = Case.objects.count()
area = MaracArea.objects.filter(short_code="S0001").first()
if area is None or total < 1000:
    print("SKIPPED: the database holds no seed_scale data")
    sys.exit(77)
coordinator, _ = User.objects.get_or_create(username="bench_scale_coordinator")
Membership.objects.get_or_create(user=coordinator, area=area, role=Role.COORDINATOR, defaults={"agency": Agency.objects.first()})
AuthenticatorApp.objects.get_or_create(user=coordinator, name="bench", defaults={"confirmed": True})
in_area = Case.objects.filter(area=area).count()
client = sign_in_with_both_factors(Client(), coordinator)
with connection.cursor() as cursor:  # planner statistics after the bulk load, as autovacuum would gather them
    cursor.execute("ANALYZE")


def timed(path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return (time.perf_counter() - started) * 1000


def median_of(path: str, repeats: int = 15) -> float:
    timed(path)
    return statistics.median(timed(path) for _ in range(repeats))


def query_ms(queryset, repeats: int = 15) -> float:
    def run():
        started = time.perf_counter()
        list(queryset.order_by("-created_at", "-pk").values_list("pk", flat=True)[:50])
        return (time.perf_counter() - started) * 1000

    run()
    return statistics.median(run() for _ in range(repeats))


print(f"{total:,} cases in all; {in_area:,} in the coordinator's area ({connection.vendor})")
home = median_of("/")
pages = {
    "first page": "/cases/",
    "page 100": "/cases/?page=100",
    "high risk only": "/cases/?risk=high",
    "sorted by reference": "/cases/?sort=reference",
    "open, sorted by area, page 3": "/cases/?status=open&sort=area&page=3",
}
for name, path in pages.items():
    ms = median_of(path)
    report(f"case list at {total:,} cases, {name}", ms, "ms", "< 100 ms", ms < 100)
report("  home page in the same run (baseline)", home, "ms", "-", None)
report("  case list first page / home page", median_of("/cases/") / home, "x", "-", None)
viewer = Viewer.of(coordinator)
old, new = query_ms(cases_for(viewer)), query_ms(cases_listed_for(viewer))
report("  page of 50 ids: the old access query (OR of subqueries)", old, "ms", "-", None)
report("  page of 50 ids: cases_listed_for (index order)", new, "ms", "-", None)
