"""seed_scale on PostgreSQL (issue 19): 1,000,000 encrypted referrals in under 5 minutes.

First the old path (every row encrypted one at a time and written with bulk_create, meetings
saved one by one, one process) against the new one (marac.bulk: batched encryption, COPY, chain
entries linked here and copied, worker processes side by side) on the same count, then the full
count with the new path, timed against the target. A scratch database of its own,
dropped at the end: BENCH_SEED_DATABASE_URL, else DATABASE_URL, must name a PostgreSQL server.

    BENCH_SEED_REFERRALS  the full run (default 1,000,000; 0 skips it)
    BENCH_SEED_COMPARE    the old-against-new run (default 20,000; 0 skips it)
"""

import os
import sys
import time
from io import StringIO

from _seed_database import postgres_or_skip

postgres_or_skip("seed_scale_million")

from _harness import report, test_database  # noqa: E402  # configures Django from the URL above
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402

import demo.management.commands.seed_scale as seed_scale  # noqa: E402
import demo.synthetic as synthetic  # noqa: E402
from marac.security.datakeys import data_key_new  # noqa: E402
from marac.security.fields import EncryptedModel  # noqa: E402
from marac.security.row_versions import rows_written  # noqa: E402

FULL = int(os.environ.get("BENCH_SEED_REFERRALS", "1000000"))
COMPARE = int(os.environ.get("BENCH_SEED_COMPARE", "20000"))
TARGET_SECONDS = 300


def old_rows_insert(rows, *, by, purpose, progress=None):
    """The path before issue 19: each row encrypted on its own, then bulk_create, a thousand to a
    statement, and the chain entries a thousand to an append."""
    if not rows:
        return []
    model = type(rows[0])
    with transaction.atomic():
        if issubclass(model, EncryptedModel):
            for row in rows:
                row.encrypt_for_write()
        written = model._default_manager.bulk_create(rows, batch_size=1000)
        if issubclass(model, EncryptedModel):
            rows_written(written, by=by, purpose=purpose)
    return written


def old_held_meetings(*, held, chair, coordinator, agencies):
    """Meetings saved one at a time, with their history and invitations, as seed_scale did."""
    return [synthetic.held_meeting(area=area, on=on, chair=chair, coordinator=coordinator, agencies=agencies) for area, on in held]


def seconds_for(referrals: int, areas: int, workers: int | None = None) -> float:
    """seed_scale's own time; workers as it chooses them (one per core on PostgreSQL) unless given."""
    started = time.perf_counter()
    quiet = not sys.stderr.isatty()
    call_command("seed_scale", referrals=referrals, areas=areas, seed=referrals, quiet=quiet, workers=workers, stdout=StringIO())
    return time.perf_counter() - started


def old_path_seconds(referrals: int, areas: int) -> float:
    new_insert, new_keys, new_meetings = synthetic.rows_insert, synthetic.data_keys_new, seed_scale.held_meetings_insert
    synthetic.rows_insert = old_rows_insert
    synthetic.data_keys_new = lambda *, case_uuids: [data_key_new(case_uuid=u) for u in case_uuids]
    seed_scale.held_meetings_insert = old_held_meetings
    try:
        return seconds_for(referrals, areas, workers=1)  # the old path had one process
    finally:
        synthetic.rows_insert, synthetic.data_keys_new, seed_scale.held_meetings_insert = new_insert, new_keys, new_meetings


test_database()
if COMPARE:
    old = old_path_seconds(COMPARE, areas=10)
    new = seconds_for(COMPARE, areas=10)
    report(f"seed_scale {COMPARE:,} referrals, old path", old, "s", "", None)
    report(f"seed_scale {COMPARE:,} referrals, new path", new, "s", "", None)
    report("seed_scale old path / new path", old / new, "x", ">= 7.4", old / new >= 7.4)
if FULL:
    seconds = seconds_for(FULL, areas=290)
    report(f"seed_scale {FULL:,} referrals in 290 areas", seconds, "s", f"< {TARGET_SECONDS}", seconds < TARGET_SECONDS)
    report(f"seed_scale {FULL:,} referrals, rate", FULL / seconds, "referrals/s", "", None)
