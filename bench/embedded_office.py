"""The embedded default under a small office (issue 15): the `make run` demo on an SQLite file,
served by `manage.py runserver` (threaded), with 16 people signed in with both factors, each
opening case lists, case pages, meetings and agendas (every view writes an access event and the
session) as fast as the server answers.

Prints requests a second, p50 and p99 latency and the count of each status for the pages, and
the same for /healthz (one query, no session, no writes) driven by the same 16 clients in the same
run, before and after the pages (the baseline is their mean, so drift on the shared machine
shows). Target: no 5xx answer and no request left without an answer. The throughput is a figure,
not a target: the machine is shared.

tests/marac/test_embedded_database_under_load.py holds the office and the load; this script
measures them. BENCH_OFFICE_SECONDS (default 60) for the pages, a third of it for each /healthz run.
"""

import os
import statistics

from _harness import report

from tests.marac.test_embedded_database_under_load import OFFICE_SIZE, Answer, drive, office_demo, sign_in_office

SECONDS = int(os.environ.get("BENCH_OFFICE_SECONDS", "60"))
HEALTHZ_SECONDS = max(5, SECONDS // 3)


def p(answers: list[Answer], percent: int) -> float:
    return statistics.quantiles([answer.seconds for answer in answers], n=100)[percent - 1] * 1000


def describe(name: str, answers: list[Answer], seconds: float) -> float:
    statuses = {status: sum(1 for answer in answers if answer.status == status) for status in sorted({a.status for a in answers})}
    rate = len(answers) / seconds
    print(f"{name}: {len(answers)} requests in {seconds} s, statuses {statuses} (0: no answer)")
    report(f"{name}: requests a second", rate, "req/s", "figure", None)
    report(f"{name}: p50 latency", p(answers, 50), "ms", "figure", None)
    report(f"{name}: p99 latency", p(answers, 99), "ms", "figure", None)
    return rate


def main() -> None:
    print(f"{OFFICE_SIZE} people signed in at once; pages for {SECONDS} s, /healthz for {HEALTHZ_SECONDS} s before and after")
    with office_demo() as office:
        people = sign_in_office(office)
        before = drive(people, HEALTHZ_SECONDS, pages=lambda person: ["/healthz"])
        pages = drive(people, SECONDS)
        after = drive(people, HEALTHZ_SECONDS, pages=lambda person: ["/healthz"])
        locked = office.server_log.read_text(errors="replace").count("database is locked")
    healthz = before + after
    page_rate = describe("office pages", pages, SECONDS)
    healthz_rate = describe("/healthz, same clients", healthz, 2 * HEALTHZ_SECONDS)
    print(f"/healthz before {len(before) / HEALTHZ_SECONDS:.1f} req/s, after {len(after) / HEALTHZ_SECONDS:.1f} req/s")
    report("office pages: share of /healthz's rate", page_rate / healthz_rate, "ratio", "figure", None)
    report("office pages: p50 latency over /healthz's", p(pages, 50) / p(healthz, 50), "ratio", "figure", None)
    failed = sum(1 for answer in pages + healthz if answer.status >= 500 or answer.status == 0)
    report("office: 5xx or no answer", failed, "requests", "0", failed == 0)
    print(f"'database is locked' in the server's log: {locked}")


if __name__ == "__main__":
    main()
