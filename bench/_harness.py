"""Shared set-up for benchmarks: Django in test mode on a throwaway database (in-memory SQLite
by default, or DATABASE_URL's server with a test_ database), and a timing helper.

The machine is shared and noisy, so scripts report ratios to a baseline measured in the same
run, and medians of interleaved repeats rather than single timings.
"""

import atexit
import os
import statistics
import sys
import time
from pathlib import Path

import django


def _setup_django() -> None:
    """On import: the project on the path and Django configured, so scripts import models next."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ.setdefault("MARAC_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marac.settings")
    django.setup()


_setup_django()


def test_database():
    """A fresh test database for this run, dropped again when the script ends."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    # As Django's test runner does: requests must not close the connection to the test database.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    original_name = connection.settings_dict["NAME"]
    # A name of its own, never the test suite's test_<name>: autoclobber must not drop a
    # database that a concurrent `make test` is using.
    connection.settings_dict["TEST"]["NAME"] = f"bench_{os.getpid()}" if connection.vendor != "sqlite" else None
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    atexit.register(connection.creation.destroy_test_db, original_name, verbosity=0)


def median_seconds(function, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


REPORT_PREFIX = "BENCH\t"


def report(name: str, value: float, unit: str, target: str, met: bool | None) -> None:
    """One figure, as a line for people and a tab-separated line that bench/_run_all.py gathers
    into the one table `make bench` ends with."""
    verdict = "" if met is None else ("met" if met else "NOT MET")
    print(f"{name:<52} {value:>12.2f} {unit:<10} target {target:<14} {verdict}")
    print(f"{REPORT_PREFIX}{name}\t{value:.2f}\t{unit}\t{target}\t{verdict}", flush=True)
