"""Repeat lookup against 1,000,000 blind-index rows on PostgreSQL (target: under 10 ms a
lookup). Uses DATABASE_URL if it names PostgreSQL, else the local server CI uses."""

import os
import statistics
import time
from datetime import date

if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

from _harness import report, test_database
from django.db import connection

from marac.security import blind_index
from marac.security.models import BlindIndexEntry

test_database()

ROWS = int(os.environ.get("BENCH_INDEX_ROWS", "1000000"))
table = BlindIndexEntry._meta.db_table
with connection.cursor() as cursor:
    # Random-looking 16-byte digests and ids generated inside PostgreSQL: seconds, not minutes.
    # The table name is the model's own and the row count a parameter.
    cursor.execute(
        f"INSERT INTO {table} (index_name, digest, case_uuid, subject_uuid) "  # noqa: S608
        "SELECT 'victim_name_dob', substring(sha256(i::text::bytea) for 16), gen_random_uuid(), gen_random_uuid() "
        "FROM generate_series(1, %s) AS i",
        [ROWS],
    )
    cursor.execute(f"ANALYZE {table}")

values = [blind_index.name_and_birth_date(name, date(1985, 1, 9)) for name in ("Jo Pryce", "Joanne Price")]
digests = {blind_index.digest("victim_name_dob", v) for v in values}


def lookup_ms() -> float:
    started = time.perf_counter()
    blind_index.entries_for(index_name="victim_name_dob", digests=digests)
    return (time.perf_counter() - started) * 1000


def round_trip_ms() -> float:
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return (time.perf_counter() - started) * 1000


for _ in range(20):
    lookup_ms(), round_trip_ms()
lookup = statistics.median(lookup_ms() for _ in range(500))
trip = statistics.median(round_trip_ms() for _ in range(500))
report(f"repeat lookup, {ROWS:,} index rows (PostgreSQL)", lookup, "ms", "< 10 ms", lookup < 10)
report("  baseline: SELECT 1 round trip", trip, "ms", "-", None)
