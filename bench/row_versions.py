"""Cost of recording each write of a record holding victim data in the audit chain (ADR 0023),
and of comparing the live rows with it (verify_rows). PostgreSQL by default, where the chain is
linked by a trigger; BENCH_POSTGRES_URL names the server. Ratios to baselines measured in the
same run, interleaved:

- one save of a victim inside a transaction, as a service does, with and without its chain entry,
  and with an ordinary access event in its place (the floor any append costs);
- synthetic data in bulk (demo.synthetic, as seed_scale writes it), with and without the chain's
  bulk entries;
- the comparison of every live row with the chain, against merely reading the same rows.

BENCH_HEARINGS (default 2,000) sets the size of the synthetic set.
"""

import os
import statistics
import time
from datetime import timedelta

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

from _harness import report, test_database
from django.db import transaction
from django.utils import timezone

import audit
from demo import synthetic
from marac.models import Agency, AgencyKind, MaracArea, User
from marac.security import row_versions
from referrals.models import Victim

test_database()

HEARINGS = int(os.environ.get("BENCH_HEARINGS", "2000"))
recorder, bulk_recorder = row_versions.row_written, synthetic.rows_written

person = User.objects.create(username="bench")
agency = Agency.objects.create(name="Bench IDVA", kind=AgencyKind.IDVA)
area = MaracArea.objects.create(name="Bench", short_code="BEN")
meeting = synthetic.held_meeting(
    area=area, on=timezone.localdate() - timedelta(days=7), chair=person, coordinator=person, agencies=[agency]
)
made = 0


def hearings(count: int, *, recorded: bool) -> float:
    global made
    synthetic.rows_written = bulk_recorder if recorded else (lambda *args, **kwargs: None)
    started = time.perf_counter()
    synthetic.bulk_hearings(
        meeting=meeting, hearings=[synthetic.Hearing() for _ in range(count)], agency=agency, by=person, first_number=made + 1
    )
    made += count
    return time.perf_counter() - started


def one_ordinary_event(instance: Victim) -> None:
    audit.record(event="bench", purpose="an ordinary access event in the row entry's place")


def save_ms(victim: Victim, *, recorded: bool | None) -> float:
    """recorded: True, the row's chain entry; False, none; None, an ordinary event instead (a floor)."""
    row_versions.row_written = {True: recorder, False: lambda instance: None, None: one_ordinary_event}[recorded]
    started = time.perf_counter()
    with transaction.atomic():
        victim.safe_phone = f"07700 {made:06d}"
        victim.save()
    return (time.perf_counter() - started) * 1000


# Writes in bulk, in batches of 250 as seed_scale writes them, alternating.
bulk = {True: [], False: []}
for n in range(max(2, HEARINGS // 250)):
    recorded = n % 2 == 0
    bulk[recorded].append(hearings(250, recorded=recorded))
synthetic.rows_written = bulk_recorder
ratio = statistics.median(bulk[True]) / statistics.median(bulk[False])
report("bulk synthetic hearings with chain entries / without", ratio, "x", "-", None)

# One save, as in a service's transaction.
victims = list(Victim.objects.select_related("case__data_key")[:50])
for victim in victims[:10]:
    save_ms(victim, recorded=True)
runs = [(save_ms(v, recorded=True), save_ms(v, recorded=False), save_ms(v, recorded=None)) for _ in range(4) for v in victims]
row_versions.row_written = recorder
with_entry, without = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
report("one victim save with its chain entry / without", with_entry / without, "x", "-", None)
report("  added per save", statistics.median(r[0] - r[1] for r in runs), "ms", "-", None)
report("  floor: an ordinary access event in its place", statistics.median(r[2] - r[1] for r in runs), "ms", "-", None)

# The rows written without their entries above, saved once more and baselined, so every row is
# as the chain recorded it (the comparison below asserts so).
for victim in victims:
    save_ms(victim, recorded=True)
row_versions.rows_record_baseline()

# The comparison against only reading the same rows.
live = sum(model._base_manager.count() for model in row_versions.encrypted_models())


def read_only() -> float:
    started = time.perf_counter()
    for model in row_versions.encrypted_models():
        names = [f.attname for f in model.encrypted_fields()]
        for _ in model._base_manager.order_by("pk").values_list("pk", "row_version", *names).iterator(chunk_size=5000):
            pass
    return time.perf_counter() - started


def compared() -> float:
    started = time.perf_counter()
    result = row_versions.rows_verify()
    assert result.failed == 0 and result.checked == live, result.summary()
    return time.perf_counter() - started


timings = [(compared(), read_only()) for _ in range(3)]
seconds = statistics.median(t[0] for t in timings)
report(f"verify_rows over {live:,} rows / reading them", seconds / statistics.median(t[1] for t in timings), "x", "-", None)
report(f"  verify_rows over {live:,} rows", seconds, "s", "-", None)
report("  rows compared a second", live / seconds, "rows/s", "-", None)
