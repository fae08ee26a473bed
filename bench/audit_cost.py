"""Cost of auditing one request, on PostgreSQL (target: at most 1 ms added, median): the case
page as a coordinator, with its access event written to the hash chain, against the same page
with the audit call replaced by a no-op, interleaved in one run."""

import os
import statistics
import time
from datetime import date

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

from _harness import report, test_database
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

import audit
from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from referrals import views as case_views
from referrals.services import case_create
from tests.conftest import sign_in_with_both_factors

test_database()

area = MaracArea.objects.create(name="Bench", short_code="BEN")
agency = Agency.objects.create(name="Bench IDVA", kind=AgencyKind.IDVA)
coordinator = User.objects.create(username="bench_coordinator")
Membership.objects.create(user=coordinator, agency=agency, area=area, role=Role.COORDINATOR)
TOTPDevice.objects.create(user=coordinator, name="bench", confirmed=True)
case = case_create(area=area, referring_agency=agency, by=coordinator,
                   victim={"name": "A Person", "date_of_birth": date(1990, 1, 1), "safe_address": "Somewhere"})
client = sign_in_with_both_factors(Client(), coordinator)
url = f"/cases/{case.reference}/"
real_reads = audit.record_case_reads


def page_ms(audited: bool) -> float:
    case_views.audit.record_case_reads = real_reads if audited else (lambda **kwargs: None)
    started = time.perf_counter()
    assert client.get(url).status_code == 200
    return (time.perf_counter() - started) * 1000


for _ in range(30):
    page_ms(True), page_ms(False)
pairs = [(page_ms(True), page_ms(False)) for _ in range(301)]
added = statistics.median(with_audit - without for with_audit, without in pairs)
report("audited case page, added time (PostgreSQL)", added, "ms", "<= 1 ms", added <= 1)
report("  the page without auditing", statistics.median(without for _, without in pairs), "ms", "-", None)
