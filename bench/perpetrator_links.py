"""Perpetrator link lookup against 1,000,000 blind-index rows (issue 18, ADR 0026; target: under
20 ms a lookup). On PostgreSQL by default (DATABASE_URL if it names PostgreSQL, else the local
server CI uses); BENCH_ENGINE=sqlite runs it on SQLite instead (filling takes about four minutes
there: rows are made in Python). BENCH_TEST_DATABASE names the throwaway database (default
bench_<pid>), BENCH_INDEX_ROWS the number of rows.

The case looked up has one perpetrator with an alias (two digests), linked to three other cases.
Timed: the lookup (`linked_case_uuids`: the case's own entries, then the entries with those
digests: two indexed queries), and the lookup with the linked cases fetched, as the case page
does. Reported beside a SELECT 1 round trip measured in the same run, and as a ratio to it.
"""

import os
import statistics
import time
import uuid
from datetime import date

if os.environ.get("BENCH_ENGINE") == "sqlite":
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
elif not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")

import _harness
from _harness import report
from django.db import connection

from marac.models import Agency, AgencyKind, MaracArea, Membership, Role, User
from marac.security.models import BlindIndexEntry
from referrals import perpetrator_links, services
from referrals.models import Perpetrator

ROWS = int(os.environ.get("BENCH_INDEX_ROWS", "1000000"))
BATCH = 50_000


def scratch_database() -> None:
    """_harness.test_database, with the database named by BENCH_TEST_DATABASE when given."""
    name = os.environ.get("BENCH_TEST_DATABASE")
    if name and connection.vendor != "sqlite":
        original = connection.settings_dict["NAME"]
        from django.test.utils import setup_test_environment

        setup_test_environment()
        connection.settings_dict["TEST"]["NAME"] = name
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        import atexit

        atexit.register(connection.creation.destroy_test_db, original, verbosity=0)
    else:
        _harness.test_database()


def fill(rows: int) -> None:
    """`rows` entries of the perpetrator index, two per perpetrator (a name and an alias)."""
    table = BlindIndexEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Random-looking digests and ids generated inside PostgreSQL: seconds, not minutes.
            cursor.execute(
                f"INSERT INTO {table} (index_name, digest, case_uuid, subject_uuid) "  # noqa: S608
                "SELECT %s, substring(sha256(i::text::bytea) for 16), "
                "md5('case' || (i / 2)::text)::uuid, md5('subject' || (i / 2)::text)::uuid "
                "FROM generate_series(1, %s) AS i",
                [perpetrator_links.PERPETRATOR_INDEX, rows],
            )
            cursor.execute(f"ANALYZE {table}")
            return
        sql = f"INSERT INTO {table} (index_name, digest, case_uuid, subject_uuid) VALUES (%s, %s, %s, %s)"  # noqa: S608
        for start in range(0, rows, BATCH):
            batch = []
            for i in range(start, min(start + BATCH, rows)):
                pair = uuid.UUID(int=i // 2 + 1).hex, uuid.UUID(int=(1 << 64) + i // 2).hex
                batch.append((perpetrator_links.PERPETRATOR_INDEX, os.urandom(16), *pair))
            cursor.executemany(sql, batch)
        cursor.execute(f"ANALYZE {table}")


def linked_cases() -> "object":
    """A case whose perpetrator is named in three other cases (one through an alias)."""
    area = MaracArea.objects.create(name="North West Leicestershire", short_code="NWL")
    agency = Agency.objects.create(name="IDVA", kind=AgencyKind.IDVA)
    user = User.objects.create(username="referrer")
    Membership.objects.create(user=user, agency=agency, area=area, role=Role.REFERRER)
    born, cases = date(1984, 2, 2), []
    named = [("Darren Cole", ["Daz Cole"]), ("Darren Cole", []), ("D. Cole", ["Daz Cole"]), ("darren cole", [])]
    for n, (name, aliases) in enumerate(named):
        case = services.case_create(area=area, referring_agency=agency, victim={"name": f"Victim {n}"}, by=user)
        details = {"name": name, "aliases": aliases, "date_of_birth": born, "relationship_to_victim": Perpetrator.Relationship.PARTNER}
        services.perpetrator_add(case=case, details=details, by=user, today=date(2026, 12, 1))
        cases.append(case)
    return cases[0]


def timed_ms(function) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def round_trip() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


scratch_database()
started = time.perf_counter()
fill(ROWS)
filled_s = time.perf_counter() - started
case = linked_cases()
total = BlindIndexEntry.objects.count()
assert len(perpetrator_links.linked_case_uuids(case=case)[case.perpetrators.get().uuid]) == 3


def lookup() -> None:
    perpetrator_links.linked_case_uuids(case=case)


def lookup_and_cases() -> None:
    linked = perpetrator_links.linked_case_uuids(case=case)
    perpetrator_links._linked_cases(set().union(*linked.values()), with_victims=False)


for _ in range(20):
    lookup(), lookup_and_cases(), round_trip()
# Interleaved, so noise from the shared machine falls on all three alike.
samples: dict[str, list[float]] = {"lookup": [], "with cases": [], "trip": []}
for _ in range(300):
    samples["lookup"].append(timed_ms(lookup))
    samples["with cases"].append(timed_ms(lookup_and_cases))
    samples["trip"].append(timed_ms(round_trip))
lookup_ms, with_cases_ms, trip_ms = (statistics.median(samples[k]) for k in ("lookup", "with cases", "trip"))
engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
print(f"{total:,} blind-index rows ({engine}), filled in {filled_s:.1f} s")
report(f"perpetrator link lookup, {total:,} rows ({engine})", lookup_ms, "ms", "< 20 ms", lookup_ms < 20)
report(f"  lookup / SELECT 1 round trip ({engine})", lookup_ms / trip_ms, "x", "-", None)
report(f"  lookup + linked cases fetched ({engine})", with_cases_ms, "ms", "< 20 ms", with_cases_ms < 20)
report(f"  baseline: SELECT 1 round trip ({engine})", trip_ms, "ms", "-", None)
