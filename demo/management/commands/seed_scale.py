"""Synthetic referrals at scale for benchmarks: M areas, monthly meetings over the last years,
and N hearings spread across them, written through the one bulk path (marac.bulk, ADR 0031) and
encrypted like real records. Development and test only."""

import random
import sys
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from tqdm import tqdm

from demo.management.commands._demo import refuse_in_production
from demo.synthetic import Heard, hearings_insert, held_meetings_insert, random_hearing
from marac.models import Agency, AgencyKind, MaracArea, User

MEETINGS_PER_AREA = 60  # five years of monthly meetings
AT_ONE_MEETING = 250  # hearings per meeting picked, so they spread across meetings
PER_TRANSACTION = 4000  # hearings written (and committed) together: whole cases, never half of one


class Command(BaseCommand):
    help = "Create N synthetic referrals heard across M areas (benchmarks only; refuses to run in production)."

    def add_arguments(self, parser):
        parser.add_argument("--referrals", type=int, required=True)
        parser.add_argument("--areas", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1, help="Random seed, so runs are repeatable.")
        parser.add_argument("--quiet", action="store_true", help="No progress bar (there is none when stderr is not a terminal).")

    def handle(self, *args, referrals: int, areas: int, seed: int, quiet: bool = False, **options):
        refuse_in_production()
        if referrals < 1 or not 1 <= areas <= 9_999:
            raise CommandError("Give at least one referral and between 1 and 9,999 areas.")
        # Repeatable synthetic data, nothing secret
        rng = random.Random(seed)  # noqa: S311  # nosec B311
        person, _ = User.objects.get_or_create(username="synthetic")
        agencies = [Agency.objects.get_or_create(name=f"Synthetic {kind.label}", defaults={"kind": kind})[0] for kind in AgencyKind]
        meetings = self._meetings(rng, areas=areas, person=person, agencies=agencies)
        from referrals.models import Case

        first = Case.objects.count() + 1  # synthetic references stay unique across runs
        bar = tqdm(total=referrals, unit="referrals", file=sys.stderr, disable=quiet or not sys.stderr.isatty())
        with bar:
            for start in range(0, referrals, PER_TRANSACTION):
                count = min(PER_TRANSACTION, referrals - start)
                hearings_insert(heard=self._heard(rng, count, meetings, agencies), by=person, first_number=first + start)
                bar.update(count)
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

    @staticmethod
    def _heard(rng: random.Random, count: int, meetings: list, agencies: list[Agency]) -> list[Heard]:
        heard: list[Heard] = []
        while len(heard) < count:
            meeting, agency = rng.choice(meetings), rng.choice(agencies)
            heard += [Heard(meeting, agency, random_hearing(rng)) for _ in range(min(AT_ONE_MEETING, count - len(heard)))]
        return heard
