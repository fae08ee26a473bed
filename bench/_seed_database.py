"""The seed_scale benchmarks' PostgreSQL server, chosen before `_harness` configures Django from
DATABASE_URL: BENCH_SEED_DATABASE_URL if given, else DATABASE_URL, which must be PostgreSQL."""

import os
import sys

SKIPPED = 77  # _run_all.py's "could not run here"


def postgres_or_skip(script: str) -> None:
    if os.environ.get("BENCH_SEED_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_SEED_DATABASE_URL"]
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        print(f"SKIPPED: {script} needs PostgreSQL (BENCH_SEED_DATABASE_URL or DATABASE_URL)")
        sys.exit(SKIPPED)
