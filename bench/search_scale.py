"""Find a case by name and date of birth over 1,000,000 blind-index rows (issue 16; target under
20 ms): the lookup alone (digest, indexed match, limited to the cases the person may see), and the
whole case list request with the search, against the same list without one in the same run.

The million rows are other people's entries inserted in bulk (random digests, as HMACs look), so
the index is the size of a large deployment's; the coordinator's area holds 500 real cases, one
of them the victim searched for. On DATABASE_URL's server if given (PostgreSQL), else SQLite.
"""

import os
import statistics
import time
from datetime import date

from _harness import report, test_database
from django.db import connection
from django.test import Client

from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from marac.second_factor import AuthenticatorApp
from marac.security.models import BlindIndexEntry
from marac.viewer import Viewer
from referrals import selectors
from referrals.access import cases_listed_for
from referrals.services import case_create
from tests.conftest import sign_in_with_both_factors

test_database()

ROWS = int(os.environ.get("BENCH_INDEX_ROWS", "1000000"))
CASES = int(os.environ.get("BENCH_CASES", "500"))
table = BlindIndexEntry._meta.db_table
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute(
            f"INSERT INTO {table} (index_name, digest, case_uuid, subject_uuid) "  # noqa: S608  # nosec B608 (a model's own table name)
            "SELECT %s, decode(md5(i::text), 'hex'), gen_random_uuid(), gen_random_uuid() FROM generate_series(1, %s) AS i",
            [selectors.NAME_DOB_INDEX, ROWS],
        )
        cursor.execute(f"ANALYZE {table}")
    else:
        cursor.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %s) "  # noqa: S608  # nosec B608
            f"INSERT INTO {table} (index_name, digest, case_uuid, subject_uuid) "
            "SELECT %s, randomblob(16), lower(hex(randomblob(16))), lower(hex(randomblob(16))) FROM n",
            [ROWS, selectors.NAME_DOB_INDEX],
        )

area = MaracArea.objects.create(name="Bench", short_code="BEN")
agency = Agency.objects.create(name="Bench IDVA", kind=AgencyKind.IDVA)
referrer = User.objects.create(username="bench_referrer")
for n in range(CASES):
    case_create(
        area=area,
        referring_agency=agency,
        by=referrer,
        victim={"name": f"Person {n}", "date_of_birth": date(1970 + n % 40, 1 + n % 12, 1 + n % 28)},
    )
coordinator = User.objects.create(username="bench_coordinator")
Membership.objects.create(user=coordinator, agency=agency, area=area, role=Role.COORDINATOR)
AuthenticatorApp.objects.create(user=coordinator, name="bench", confirmed=True)
entries = BlindIndexEntry.objects.count()
print(f"{entries:,} blind-index rows, {CASES:,} cases in the coordinator's area ({connection.vendor})")

wanted = CASES // 2
name, born = f"Person {wanted}", date(1970 + wanted % 40, 1 + wanted % 12, 1 + wanted % 28)
viewer = Viewer.of(coordinator)


def lookup_ms() -> float:
    started = time.perf_counter()
    found = list(selectors.cases_with_victim(cases_listed_for(viewer), name, born).values_list("reference", flat=True))
    elapsed = (time.perf_counter() - started) * 1000
    assert len(found) == 1, found
    return elapsed


client = sign_in_with_both_factors(Client(), coordinator)


def request_ms(params: dict) -> float:
    started = time.perf_counter()
    response = client.get("/cases/", params)
    assert response.status_code == 200
    return (time.perf_counter() - started) * 1000


search = {"q": name, "dob": born.isoformat()}
lookup_ms(), request_ms(search), request_ms({})
lookup = statistics.median(lookup_ms() for _ in range(31))
searched = statistics.median(request_ms(search) for _ in range(15))
listed = statistics.median(request_ms({}) for _ in range(15))
report(f"name and birth date lookup, {entries:,} index rows", lookup, "ms", "< 20 ms", lookup < 20)
report("  case list request with that search", searched, "ms", "-", None)
report("  case list request without a search (baseline)", listed, "ms", "-", None)
report("  search request / plain list request", searched / listed, "x", "-", None)
