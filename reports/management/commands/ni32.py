"""NI 32 for one area and a date range: repeat cases heard, all cases heard and the percentage
(one decimal), under the area's repeat definition. Figures only: nothing about anyone."""

import json
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from marac.models import MaracArea
from marac.periods import between
from reports.selectors import ni32_by_area


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date like 2026-04-01") from None


class Command(BaseCommand):
    help = "Print NI 32 (repeat cases heard / cases heard x 100) for an area and a date range."

    def add_arguments(self, parser):
        parser.add_argument("--area", required=True, help="The area's short code, e.g. NWL.")
        parser.add_argument("--from", dest="start", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="end", required=True, help="Last day (included), YYYY-MM-DD.")
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print JSON instead of text.")

    def handle(self, *args, area: str, start: str, end: str, as_json: bool = False, **options):
        found = MaracArea.objects.filter(short_code=area).first()
        if found is None:
            raise CommandError(f"No MARAC area with the code {area!r}.")
        first, last = _day(start), _day(end)
        if last < first:
            raise CommandError("--to is before --from.")
        try:
            period = between(first, last)
        except ValueError as error:
            raise CommandError(str(error)) from None
        figure = ni32_by_area(period, [found])[0].own
        percentage = figure.percentage
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "area": found.short_code,
                        "from": start,
                        "to": end,
                        "definition": found.repeat_definition,
                        "numerator": figure.repeats,
                        "denominator": figure.heard,
                        "percentage": percentage,
                    }
                )
            )
        else:
            shown = "no cases heard" if percentage is None else f"{percentage:.1f}%"
            self.stdout.write(f"{found.short_code} {first} to {last}: {figure.repeats} repeat cases of {figure.heard} heard = {shown}")
