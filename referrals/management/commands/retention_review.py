"""The retention review for operators (ADR 0027): per area, the cases due for erasure (references
and dates), the holds in force and the asks waiting for a second person, and the areas without a
retention period. Reads only; erases nothing (erasure is confirmed by two people in the service)."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

import audit
from marac.models import MaracArea
from referrals import retention


def _day(moment) -> str:
    day = timezone.localtime(moment).date() if hasattr(moment, "tzinfo") else moment
    return day.isoformat()


class Command(BaseCommand):
    help = "List, per area, the cases due for erasure, legal holds in force and areas without a retention period."

    def add_arguments(self, parser):
        parser.add_argument("--area", metavar="CODE", help="only this area (its short code, e.g. NWL)")

    def handle(self, *args, area=None, **options):
        areas = MaracArea.objects.order_by("short_code")
        if area:
            areas = areas.filter(short_code=area.upper())
            if not areas.exists():
                raise CommandError(f"No area has the code {area}.")
        today = timezone.localdate()
        found = retention.review(areas, today=today)
        for review in found:
            self._area(review)
        missing = [r.area.short_code for r in found if r.area.retention_months is None]
        self.stdout.write("Areas without a retention period: " + (", ".join(missing) if missing else "none"))
        audit.record(event="retention_review_run", purpose=f"retention_review command, {len(found)} areas, {today.isoformat()}")

    def _area(self, review: retention.AreaReview) -> None:
        area = review.area
        period = "no retention period set" if area.retention_months is None else f"retention {area.retention_months} months"
        self.stdout.write(f"{area.short_code} {area.name}: {period}")
        if area.retention_months is not None:
            self.stdout.write(f"  Due for erasure: {len(review.due)}")
            for case in review.due:
                closed, since = _day(case.last_closed_at), retention.due_since(case).isoformat()
                self.stdout.write(f"    {case.reference} closed {closed}, due since {since}")
        self.stdout.write(f"  Waiting for a second person: {len(review.waiting)}")
        for ask in review.waiting:
            self.stdout.write(f"    {ask.case.reference} asked {_day(ask.asked_at)} by user {ask.asked_by_id}")
        self.stdout.write(f"  On legal hold: {len(review.holds)}")
        for hold in review.holds:
            self.stdout.write(f"    {hold.case.reference} {hold.kind} since {_day(hold.placed_at)}")
