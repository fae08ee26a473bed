"""The coordinator's triage queue with 500 referrals waiting: server time and query count, as a
ratio to the home page measured in the same run (the same sign-in, session and shell). Triage
shows 50 a page (issue 16): before paging it decrypted, matched and logged all 500 (496 ms, 230x
the home page then); target under 100 ms."""

import os
import statistics
import time
from datetime import date

from _harness import report, test_database
from django.db import connection
from django.test import Client

from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from marac.second_factor import AuthenticatorApp
from referrals import services
from referrals.checklists import CURRENT
from tests.conftest import sign_in_with_both_factors

test_database()

REFERRALS = int(os.environ.get("BENCH_REFERRALS", "500"))
area = MaracArea.objects.create(name="Bench", short_code="BEN")
agency = Agency.objects.create(name="Bench IDVA", kind=AgencyKind.IDVA)
referrer = User.objects.create(username="bench_referrer")
coordinator = User.objects.create(username="bench_coordinator")
Membership.objects.create(user=coordinator, agency=agency, area=area, role=Role.COORDINATOR)
AuthenticatorApp.objects.create(user=coordinator, name="bench", confirmed=True)
answers = {q.id: {"answer": "yes"} for q in CURRENT.questions}
for n in range(REFERRALS):
    victim = {"name": f"Person {n}", "date_of_birth": date(1970 + n % 40, 1 + n % 12, 1 + n % 28), "aliases": [f"Alias {n}"]}
    case = services.case_create(area=area, referring_agency=agency, victim=victim, by=referrer)
    assessment = services.assessment_start(case=case, by=referrer, on=date.today())
    services.assessment_answer(assessment=assessment, answers=answers, by=referrer)
    services.referral_submit(assessment=assessment, by=referrer, agency=agency, consent="given", today=date.today())

client = sign_in_with_both_factors(Client(), coordinator)


def timed(path: str) -> float:
    started = time.perf_counter()
    response = client.get(path)
    assert response.status_code == 200
    return (time.perf_counter() - started) * 1000


class QueryCounter:
    """Counts queries as they run (the query log is reset at each request's start)."""

    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


timed("/referrals/triage/"), timed("/")
queries = QueryCounter()
with connection.execute_wrapper(queries):
    timed("/referrals/triage/")
triage = statistics.median(timed("/referrals/triage/") for _ in range(5))
home = statistics.median(timed("/") for _ in range(21))
report(f"triage queue, {REFERRALS} referrals: server time", triage, "ms", "< 100 ms", triage < 100)
report(f"triage queue, {REFERRALS} referrals: queries", queries.count, "queries", "fixed", None)
report("  ratio to the home page in the same run", triage / home, "x", "-", None)
