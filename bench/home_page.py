"""A coordinator's home page, the work list (issue 16, item 1), for an area with 5,000 cases and
500 referrals waiting for triage: server time through the test client (median of interleaved
repeats) and query count, against the bare home page (the same person and page with the work
list's providers switched off) measured in the same run. Target: under 50 ms, and the same
number of queries whatever the rows (tests/marac/test_home_worklist.py proves that at two sizes;
this prints the count at scale and the bare page's).

The data are bulk-written as demo/synthetic.py writes them (no history rows, no access events):
4,500 cases heard at twelve monthly meetings over the last year, so repeat windows are closing;
500 referrals submitted over the last month; an upcoming meeting with its agenda issued listing
200 cases with few research returns; and 3,000 actions due from two months ago to two ahead.
"""

import os
import statistics
import time
from datetime import timedelta

from _harness import report, test_database
from django.db import connection
from django.test import Client
from django.utils import timezone

from demo.synthetic import Hearing, _encrypted, bulk_hearings, held_meeting
from marac import worklist
from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from marac.second_factor import AuthenticatorApp
from meetings.models import Action, AgendaItem, Meeting, ReferralListing, ResearchReturn
from referrals.models import Referral
from tests.conftest import sign_in_with_both_factors

test_database()

CASES = int(os.environ.get("BENCH_CASES", "5000"))
WAITING = int(os.environ.get("BENCH_WAITING", "500"))
ACTIONS = int(os.environ.get("BENCH_ACTIONS", "3000"))
ON_AGENDA = 200
REPEATS = int(os.environ.get("BENCH_REPEATS", "21"))

today = timezone.localdate()
area = MaracArea.objects.create(name="Bench", short_code="BEN")
agencies = [Agency.objects.create(name=f"Bench {kind.label}", kind=kind) for kind in list(AgencyKind)[:4]]
coordinator = User.objects.create(username="bench_coordinator")
Membership.objects.create(user=coordinator, agency=agencies[0], area=area, role=Role.COORDINATOR)
AuthenticatorApp.objects.create(user=coordinator, name="bench", confirmed=True)

# Heard over the last year, a batch a month, so some repeat windows close in the coming weeks.
heard_meetings = [
    held_meeting(area=area, on=today - timedelta(days=30 * m + 20), chair=coordinator, coordinator=coordinator, agencies=agencies)
    for m in range(12)
]
heard, number = [], 1
per_meeting = (CASES - WAITING) // len(heard_meetings)
for meeting in heard_meetings:
    heard += bulk_hearings(meeting=meeting, hearings=[Hearing()] * per_meeting, agency=agencies[1], by=coordinator, first_number=number)
    number += per_meeting

# Waiting for triage: written as heard, then made submitted referrals no agenda lists.
limbo = held_meeting(area=area, on=today - timedelta(days=1), chair=coordinator, coordinator=coordinator, agencies=agencies)
waiting = bulk_hearings(meeting=limbo, hearings=[Hearing()] * WAITING, agency=agencies[1], by=coordinator, first_number=number)
AgendaItem.objects.filter(meeting=limbo).delete()
ReferralListing.objects.filter(meeting=limbo).delete()
for days in range(30):
    Referral.objects.filter(case__in=waiting[days::30]).update(status=Referral.Status.SUBMITTED, submitted_on=today - timedelta(days=days))

upcoming = Meeting.objects.create(
    area=area,
    starts_at=timezone.now() + timedelta(days=10),
    chair=coordinator,
    coordinator=coordinator,
    status=Meeting.Status.AGENDA_ISSUED,
)
upcoming.invited_agencies.set(agencies)
AgendaItem.objects.bulk_create(
    AgendaItem(meeting=upcoming, case=case, section=2, position=n + 1, added_because="review", added_by=coordinator)
    for n, case in enumerate(heard[:ON_AGENDA])
)
ResearchReturn.objects.bulk_create(
    _encrypted(
        [ResearchReturn(meeting=upcoming, case=case, agency=agencies[0], facts="Synthetic", returned_by=coordinator) for case in heard[:50]]
    )
)
scheduled = Meeting.objects.create(area=area, starts_at=timezone.now() + timedelta(days=40), chair=coordinator, coordinator=coordinator)
scheduled.invited_agencies.set(agencies)
Action.objects.bulk_create(
    _encrypted(
        [
            Action(
                meeting=heard_meetings[n % len(heard_meetings)],
                case=heard[n % len(heard)],
                agency=agencies[n % len(agencies)],
                owner="Synthetic worker",
                description="Synthetic action",
                due_on=today + timedelta(days=n % 120 - 60),
                created_by=coordinator,
            )
            for n in range(ACTIONS)
        ]
    ),
    batch_size=500,
)
if connection.vendor == "postgresql":
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

client = sign_in_with_both_factors(Client(), coordinator)
providers = dict(worklist._providers)


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def timed(*, work_list: bool) -> float:
    worklist._providers.clear()
    if work_list:
        worklist._providers.update(providers)
    started = time.perf_counter()
    response = client.get("/")
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200
    worklist._providers.update(providers)
    return elapsed


def queries(*, work_list: bool) -> int:
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        timed(work_list=work_list)
    return counter.count


timed(work_list=True), timed(work_list=False)  # warm: templates, the session, content types
counts = {on: queries(work_list=on) for on in (True, False)}
shown = {(role.role, item.label): item.count for role in client.get("/").context["work"] for item in role.items}
assert shown[(Role.COORDINATOR, "Referrals waiting for triage")] == WAITING, shown
work_times, bare_times = [], []
for _ in range(REPEATS):  # interleaved, as the shared machine's load moves between repeats
    work_times.append(timed(work_list=True))
    bare_times.append(timed(work_list=False))
work, bare = statistics.median(work_times), statistics.median(bare_times)
print(f"({connection.vendor}; the coordinator's items: {shown})")
label = f"coordinator's home, {CASES} cases, {WAITING} waiting"
report(f"{label}: server time", work, "ms", "< 50 ms", work < 50)
report(f"{label}: queries", counts[True], "queries", "fixed", None)
report("  the bare home page: server time", bare, "ms", "-", None)
report("  the bare home page: queries", counts[False], "queries", "-", None)
report("  ratio to the bare home page in the same run", work / bare, "x", "-", None)
