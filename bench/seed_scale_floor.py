"""What bounds seed_scale on this machine (issue 19's 1,000,000 referrals in under 5 minutes).

One load of N referrals in one process (BENCH_FLOOR_REFERRALS, default 20,000), on a scratch
PostgreSQL database, with the CPU it cost split between this Python process and every PostgreSQL
process (read from /proc, so the server must run on this machine and little else should). Then
the least Python work any load of those rows must do, timed on the rows just written: encrypting
each value (AES-GCM, a fresh nonce each), each row's digest and each chain entry's hash. What
PostgreSQL spent plus that least Python work is a floor for a load written in Python with these
tables, indexes and chain: no leaner path gets under it. Both are projected to a million
referrals on the machine's cores, as if every core were busy all the time.

BENCH_SEED_DATABASE_URL, else DATABASE_URL, must name a PostgreSQL server.
"""

import os
import sys
import time
from io import StringIO
from pathlib import Path

from _seed_database import SKIPPED, postgres_or_skip

postgres_or_skip("seed_scale_floor")

from _harness import report, test_database  # noqa: E402  # configures Django from the URL above
from django.core.management import call_command  # noqa: E402

from audit import chain  # noqa: E402
from audit.models import AccessEvent  # noqa: E402
from marac.security import crypto  # noqa: E402
from marac.security.row_versions import encrypted_models, row_digest  # noqa: E402

REFERRALS = int(os.environ.get("BENCH_FLOOR_REFERRALS", "20000"))
FULL, TARGET_SECONDS = 1_000_000, 300
TICKS = os.sysconf("SC_CLK_TCK")
SEALING = 1 + crypto.NONCE_BYTES + crypto.TAG_BYTES  # what a stored value adds to its plaintext


def postgres_cpu_seconds() -> float:
    """User and system CPU of every process named postgres on this machine, so far."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
        except OSError:  # ended while read
            continue
        if fields[0].endswith("(postgres"):
            total += sum(int(ticks) for ticks in fields[1].split()[11:13])  # utime, stime
    return total / TICKS


def cpu_of_one_load(referrals: int) -> tuple[float, float, float]:
    """Wall seconds, this process's CPU and PostgreSQL's, for seed_scale in this one process."""
    python_before, postgres_before, started = time.process_time(), postgres_cpu_seconds(), time.perf_counter()
    call_command("seed_scale", referrals=referrals, areas=10, seed=referrals, quiet=True, workers=1, stdout=StringIO())
    wall = time.perf_counter() - started
    return wall, time.process_time() - python_before, postgres_cpu_seconds() - postgres_before


def stored_rows_after(ids_before: dict[str, int]) -> dict[type, list[tuple]]:
    """The load's rows of each encrypted model: id, version and ciphertexts, as stored."""
    written = {}
    for model in encrypted_models():
        names = [field.attname for field in model.encrypted_fields()]
        rows = model._base_manager.filter(pk__gt=ids_before[model._meta.label_lower]).order_by("pk")
        written[model] = list(rows.values_list("pk", "row_version", *names))
    return written


def seconds_to_encrypt(written: dict[type, list[tuple]], cases: int) -> tuple[float, int]:
    """AES-GCM for as many values of the same sizes, with associated data as long as a field's,
    plus one data key wrapped per case."""
    key, associated_data = os.urandom(crypto.KEY_BYTES), b"x" * 120
    rows = [
        (key, [(b"p" * (len(stored) - SEALING), associated_data) for stored in ciphertexts])
        for rows in written.values()
        for _, _, *ciphertexts in rows
    ]
    rows += [(key, [(os.urandom(crypto.KEY_BYTES), associated_data)]) for _ in range(cases)]
    started = time.perf_counter()
    crypto.encrypt_rows(rows)
    return time.perf_counter() - started, sum(len(values) for _, values in rows)


def seconds_to_digest(written: dict[type, list[tuple]]) -> float:
    started = time.perf_counter()
    for model, rows in written.items():
        label, names = model._meta.label_lower, [field.attname for field in model.encrypted_fields()]
        for pk, version, *ciphertexts in rows:
            row_digest(model=label, row_id=pk, version=version, ciphertexts=zip(names, ciphertexts, strict=True))
    return time.perf_counter() - started


def seconds_to_hash_entries(sequence_before: int) -> tuple[float, int]:
    """The load's chain entries hashed again, each checked against its stored hash."""
    entries = list(AccessEvent.objects.filter(sequence__gt=sequence_before).values(*chain.HASHED, "hash"))
    for entry in entries:
        entry["at"] = chain._canonical_at(entry["at"])  # as a load formats it, once for an append
    started = time.perf_counter()
    hashes = [chain.event_hash(entry) for entry in entries]
    seconds = time.perf_counter() - started
    if hashes != [entry["hash"] for entry in entries]:
        raise SystemExit("the entries hashed again differ from those stored: this figure would time the wrong thing")
    return seconds, len(entries)


def last_ids() -> dict[str, int]:
    last = {model: model._base_manager.order_by("-pk").values_list("pk", flat=True).first() for model in encrypted_models()}
    return {model._meta.label_lower: found or 0 for model, found in last.items()}


def per_million(seconds: float) -> float:
    """Seconds for a million referrals if the machine's every core were busy all the time."""
    return seconds * FULL / REFERRALS / (os.cpu_count() or 1)


test_database()
if postgres_cpu_seconds() == 0:
    print("SKIPPED: no PostgreSQL process readable in /proc (the server must run on this machine)")
    sys.exit(SKIPPED)
call_command("seed_scale", referrals=2000, areas=10, seed=1, quiet=True, workers=1, stdout=StringIO())  # areas, meetings, warm code
ids, sequence = last_ids(), AccessEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
wall, python_cpu, postgres_cpu = cpu_of_one_load(REFERRALS)
written = stored_rows_after(ids)
encrypting, values = seconds_to_encrypt(written, cases=REFERRALS)
digesting, hashing = seconds_to_digest(written), seconds_to_hash_entries(sequence)
least_python = encrypting + digesting + hashing[0]
rows = sum(map(len, written.values()))
print(f"{REFERRALS:,} referrals: {rows:,} encrypted rows, {values:,} values sealed, {hashing[1]:,} chain entries")
print(f"{os.cpu_count()} cores; least Python: encrypt {encrypting:.2f} s, digest {digesting:.2f} s, hash {hashing[0]:.2f} s")
report(f"seed_scale {REFERRALS:,} in one process, wall", wall, "s", "", None)
report("  Python CPU", python_cpu, "s", "", None)
report("  PostgreSQL CPU", postgres_cpu, "s", "", None)
report("  least Python CPU (crypto and hashes only)", least_python, "s", "", None)
report("  least Python / Python spent", least_python / python_cpu, "x", "", None)
# Projections, not the figure (seed_scale_million.py measures that): no verdict, so the
# table's count of targets met and missed is not changed by them.
measured, floor = per_million(python_cpu + postgres_cpu), per_million(postgres_cpu + least_python)
report(f"{FULL:,} at this CPU, every core busy", measured, "s", f"(< {TARGET_SECONDS})", None)
report(f"{FULL:,} floor: PostgreSQL + least Python", floor, "s", f"(< {TARGET_SECONDS})", None)
report("floor / target", floor / TARGET_SECONDS, "x", "", None)
