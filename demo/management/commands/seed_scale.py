"""Synthetic referrals at scale for benchmarks: M areas, monthly meetings over the last years,
and N hearings spread across them, written with bulk inserts but encrypted like real records.
Development and test only."""

import random
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from demo.management.commands._demo import refuse_in_production
from demo.synthetic import bulk_hearings, held_meeting, random_hearing
from marac.models import Agency, AgencyKind, MaracArea, User

MEETINGS_PER_AREA = 60  # five years of monthly meetings
BATCH = 250  # hearings per meeting picked, so they spread across meetings


class Command(BaseCommand):
    help = "Create N synthetic referrals heard across M areas (benchmarks only; refuses to run in production)."

    def add_arguments(self, parser):
        parser.add_argument("--referrals", type=int, required=True)
        parser.add_argument("--areas", type=int, required=True)
        parser.add_argument("--seed", type=int, default=1, help="Random seed, so runs are repeatable.")

    def handle(self, *args, referrals: int, areas: int, seed: int, **options):
        refuse_in_production()
        if referrals < 1 or not 1 <= areas <= 9_999:
            raise CommandError("Give at least one referral and between 1 and 9,999 areas.")
        # Repeatable synthetic data, nothing secret
        rng = random.Random(seed)  # noqa: S311  # nosec B311
        person, _ = User.objects.get_or_create(username="synthetic")
        agencies = [Agency.objects.get_or_create(name=f"Synthetic {kind.label}", defaults={"kind": kind})[0] for kind in AgencyKind]
        today = timezone.localdate()
        meetings = []
        for number in range(1, areas + 1):
            area, _ = MaracArea.objects.get_or_create(
                short_code=f"S{number:04d}",
                defaults={"name": f"Synthetic area {number}", "adult_female_population": rng.randrange(20_000, 200_000)},
            )
            meetings += [
                held_meeting(area=area, on=today - timedelta(days=30 * m + 7), chair=person, coordinator=person, agencies=agencies[:3])
                for m in range(MEETINGS_PER_AREA)
            ]
        from referrals.models import Case

        made, first = 0, Case.objects.count() + 1  # synthetic references stay unique across runs
        while made < referrals:
            count = min(BATCH, referrals - made)
            meeting = rng.choice(meetings)
            bulk_hearings(
                meeting=meeting,
                hearings=[random_hearing(rng) for _ in range(count)],
                agency=rng.choice(agencies),
                by=person,
                first_number=first + made,
            )
            made += count
            self.stdout.write(f"{made:,} of {referrals:,}", ending="\r")
        self.stdout.write(f"Created {referrals:,} referrals heard at {len(meetings):,} meetings in {areas} areas.")
