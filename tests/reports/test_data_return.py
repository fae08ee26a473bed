"""The quarterly data return's counts (reports.selectors.data_return)."""

from datetime import date

from demo.synthetic import Hearing, bulk_hearings
from marac.periods import rolling_year
from meetings.models import AgendaItem
from reports.selectors import data_return

TODAY = date.today()


def test_cases_listed_without_a_referral_are_not_counted_as_from_partners(hold, area, idva, coordinator):
    meeting = hold(TODAY)
    (case,) = bulk_hearings(meeting=meeting, hearings=[Hearing()], agency=idva, by=coordinator)
    AgendaItem.objects.filter(case=case).update(referral=None)
    r = data_return(area, rolling_year(TODAY), year_to_date=rolling_year(TODAY))
    assert (r.heard, r.from_partners) == (1, 0) and any("referral" in w for w in r.warnings)
