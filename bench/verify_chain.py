"""verify_audit_chain throughput (target: at least 50,000 events a second).

The best of three walks: on a shared machine other work only ever slows a walk down, so the
fastest is the closest to what verification itself costs."""

import os
import time

from _harness import report, test_database

from audit import chain
from audit.models import AccessEvent

test_database()

EVENTS = int(os.environ.get("BENCH_AUDIT_EVENTS", "200000"))
for start in range(0, EVENTS, 5000):
    chain.append(
        [
            AccessEvent(
                event="case_read",
                case_reference=f"NWL-2026-{n % 9999:04d}",
                fields=["name", "address"],
                purpose="bench",
                client_ip="203.0.113.9",
            )
            for n in range(start, min(start + 5000, EVENTS))
        ]
    )


def walk_seconds() -> float:
    started = time.perf_counter()
    verdict = chain.verify()
    assert verdict.intact and verdict.count == EVENTS
    return time.perf_counter() - started


seconds = min(walk_seconds() for _ in range(3))
rate = EVENTS / seconds
report(f"verify_audit_chain, {EVENTS:,} events", rate, "events/s", ">= 50,000", rate >= 50_000)
