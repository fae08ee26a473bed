"""Synthetic referrals at scale for benchmarks: M areas, monthly meetings over the last years,
and N hearings spread across them, written through the one bulk path (marac.bulk, ADR 0031) and
encrypted like real records. Development and test only.

On PostgreSQL the hearings are written by worker processes side by side (ADR 0032): building and
encrypting rows is Python's work on one core, and each load appends its chain entries at the end
of its transaction, so the workers overlap everywhere but there."""

import multiprocessing
import os
import queue
import random
import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, connections
from django.db.models import BigIntegerField, Max, Value
from django.db.models.functions import Cast, StrIndex, Substr
from django.utils import timezone
from tqdm import tqdm

from demo.management.commands._demo import refuse_in_production
from demo.synthetic import Heard, hearings_insert, held_meetings_insert, random_hearing
from marac.bulk import collecting_less
from marac.models import Agency, AgencyKind, MaracArea, User

MEETINGS_PER_AREA = 60  # five years of monthly meetings
AT_ONE_MEETING = 250  # at most, hearings per meeting picked; a small load picks fewer, so it still spreads
PER_TRANSACTION = 4000  # hearings written (and committed) together: whole cases, never half of one


class Command(BaseCommand):
    help = "Create N synthetic referrals heard across M areas (benchmarks only; refuses to run in production)."

    def add_arguments(self, parser):
        parser.add_argument("--referrals", type=int, required=True)
        parser.add_argument("--areas", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1, help="Random seed, so runs are repeatable.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar (there is none when stderr is not a terminal).")
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes writing side by side (PostgreSQL only; default: one per core, at most 4).",
        )

    def handle(self, *args, referrals: int, areas: int, seed: int, quiet: bool = False, workers: int | None = None, **options):
        refuse_in_production()
        if referrals < 1 or not 1 <= areas <= 9_999:
            raise CommandError("Give at least one referral and between 1 and 9,999 areas.")
        if workers is not None and not 1 <= workers <= 16:
            raise CommandError("Give between 1 and 16 workers.")
        person, _ = User.objects.get_or_create(username="synthetic")
        agencies = [Agency.objects.get_or_create(name=f"Synthetic {kind.label}", defaults={"kind": kind})[0] for kind in AgencyKind]
        # Repeatable synthetic data, nothing secret
        meetings = self._meetings(random.Random(seed), areas=areas, person=person, agencies=agencies)  # noqa: S311  # nosec B311
        first = _last_synthetic_number() + 1  # synthetic references stay unique across runs, failed ones included
        loads = [Load(seed, start, min(PER_TRANSACTION, referrals - start), first) for start in range(0, referrals, PER_TRANSACTION)]
        bar = tqdm(total=referrals, unit="referrals", file=sys.stderr, disable=quiet or not sys.stderr.isatty())
        with bar, collecting_less():
            processes = _workers_for(workers, len(loads))
            if processes == 1:
                for load in loads:
                    bar.update(load.write(meetings, agencies, person))
            else:
                _in_processes(processes, loads, meetings, agencies, person, bar)
        self.stdout.write(f"Created {referrals:,} referrals heard at {len(meetings):,} meetings in {areas} areas.")

    def _meetings(self, rng: random.Random, *, areas: int, person: User, agencies: list[Agency]) -> list:
        today = timezone.localdate()
        held = []
        for number in range(1, areas + 1):
            area, _ = MaracArea.objects.get_or_create(
                short_code=f"S{number:04d}",
                defaults={"name": f"Synthetic area {number}", "adult_female_population": rng.randrange(20_000, 200_000)},
            )
            held += [(area, today - timedelta(days=30 * m + 7)) for m in range(MEETINGS_PER_AREA)]
        return held_meetings_insert(held=held, chair=person, coordinator=person, agencies=agencies[:3])


class Load:
    """One transaction's hearings: its own random stream, so the data are the same whatever the
    number of workers."""

    def __init__(self, seed: int, start: int, count: int, first: int) -> None:
        self.seed, self.start, self.count, self.first = seed, start, count, first

    def write(self, meetings: list, agencies: list[Agency], person: User) -> int:
        rng = random.Random(f"{self.seed}:{self.start}")  # noqa: S311  # nosec B311  # repeatable synthetic data
        at_one_meeting = max(1, min(AT_ONE_MEETING, self.count // 40))
        heard: list[Heard] = []
        while len(heard) < self.count:
            meeting, agency = rng.choice(meetings), rng.choice(agencies)
            heard += [Heard(meeting, agency, random_hearing(rng)) for _ in range(min(at_one_meeting, self.count - len(heard)))]
        hearings_insert(heard=heard, by=person, first_number=self.first + self.start)
        return self.count


def _last_synthetic_number() -> int:
    """The highest number in a synthetic reference ("S0001-S123"): parallel loads commit out of
    order, so a failed run may leave gaps, and counting cases would give a number already used."""
    from referrals.models import Case

    number = Cast(Substr("reference", StrIndex("reference", Value("-S")) + 2), BigIntegerField())
    synthetic = Case.objects.filter(reference__regex=r"^S[0-9]{4}-S[0-9]+$")
    return synthetic.aggregate(last=Max(number))["last"] or 0


def _workers_for(asked: int | None, loads: int) -> int:
    """Worker processes only where they can help: PostgreSQL (SQLite has one writer), with the
    meetings committed (a caller's open transaction, a test's, would hide them from other
    connections), and more than one load to share."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or loads == 1:
        return 1
    return min(asked or min(os.cpu_count() or 1, 4), loads)


def _in_processes(processes: int, loads: list[Load], meetings: list, agencies: list[Agency], person: User, bar: tqdm) -> None:
    """Forked workers, each taking loads off one queue, each on its own connection; the bar
    follows their reports. Any worker failing stops the others and fails the command."""
    context = multiprocessing.get_context("fork")  # the workers inherit Django set up, the meetings and the keys
    todo, done = context.Queue(), context.Queue()
    for load in loads:
        todo.put(load)
    connections.close_all()  # never share a connection across a fork
    workers = [context.Process(target=_work, args=(todo, done, meetings, agencies, person), daemon=True) for _ in range(processes)]
    for worker in workers:
        worker.start()
        todo.put(None)  # one stop for each worker, after the loads
    written, total = 0, sum(load.count for load in loads)
    try:
        while written < total:
            try:
                count = done.get(timeout=5)
            except queue.Empty:  # a load may wait long for the chain's lock; a dead worker never reports
                if any(worker.exitcode not in (None, 0) for worker in workers):
                    raise CommandError("A worker ended without finishing its load: the loads committed before stay.") from None
                continue
            if count is None:
                raise CommandError("A worker failed: the loads it committed stay; see its error above.")
            written += count
            bar.update(count)
    finally:
        for worker in workers:
            if worker.is_alive() and written < total:
                worker.terminate()
            worker.join()


def _work(todo, done, meetings: list, agencies: list[Agency], person: User) -> None:
    try:
        while (load := todo.get()) is not None:
            done.put(load.write(meetings, agencies, person))
    except BaseException:
        done.put(None)
        raise
    finally:
        connections.close_all()
