"""Cost of auditing one request, on PostgreSQL (target: at most 1 ms added, median): the case
page as a coordinator, with its access event written to the hash chain, against the same page
with the audit call replaced by a no-op, interleaved in one run.

Also measured in the same place, as a floor: the page with the audit call replaced by one bare
`SELECT 1`. Any audit that is safely written before the response leaves costs at least one round
trip at the end of the request, after the page has been rendered; on a shared two-core machine
that round trip is much dearer than in a tight loop (the database's process has gone idle)."""

import os
import statistics
import time
from datetime import date

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

from _harness import report, test_database
from django.db import connection
from django.test import Client

import audit
from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from marac.second_factor import AuthenticatorApp
from referrals import views as case_views
from referrals.services import case_create
from tests.conftest import sign_in_with_both_factors

test_database()

area = MaracArea.objects.create(name="Bench", short_code="BEN")
agency = Agency.objects.create(name="Bench IDVA", kind=AgencyKind.IDVA)
coordinator = User.objects.create(username="bench_coordinator")
Membership.objects.create(user=coordinator, agency=agency, area=area, role=Role.COORDINATOR)
AuthenticatorApp.objects.create(user=coordinator, name="bench", confirmed=True)
case = case_create(
    area=area,
    referring_agency=agency,
    by=coordinator,
    victim={"name": "A Person", "date_of_birth": date(1990, 1, 1), "safe_address": "Somewhere"},
)
client = sign_in_with_both_factors(Client(), coordinator)
url = f"/cases/{case.reference}/"
real_reads = audit.record_case_reads


def one_round_trip(**kwargs) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


INSTEAD_OF_AUDIT = {"audited": real_reads, "unaudited": lambda **kwargs: None, "one round trip": one_round_trip}


def page_ms(variant: str) -> float:
    case_views.audit.record_case_reads = INSTEAD_OF_AUDIT[variant]
    started = time.perf_counter()
    assert client.get(url).status_code == 200
    return (time.perf_counter() - started) * 1000


def added_ms(variant: str, runs: list[dict]) -> float:
    return statistics.median(run[variant] - run["unaudited"] for run in runs)


for _ in range(30):
    [page_ms(variant) for variant in INSTEAD_OF_AUDIT]
runs = [{variant: page_ms(variant) for variant in INSTEAD_OF_AUDIT} for _ in range(401)]
added = added_ms("audited", runs)
report("audited case page, added time (PostgreSQL)", added, "ms", "<= 1 ms", added <= 1)
report("  the page without auditing", statistics.median(run["unaudited"] for run in runs), "ms", "-", None)
report("  floor: one bare round trip in the audit's place", added_ms("one round trip", runs), "ms", "-", None)
