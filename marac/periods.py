"""Dates and periods: months added the way people count them, reporting quarters and financial
years (April to March), and rolling 12 months. Each is a half-open range of dates [start, end),
so a day is in exactly one quarter."""

import calendar
from dataclasses import dataclass
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier); the 31st or 29 February clamp to the month's end."""
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the first day after the period
    label: str

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end

    @property
    def last(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)


def financial_year_of(day: date) -> int:
    """The year the financial year containing `day` starts in: 2026 for April 2026 to March 2027."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year(start_year: int) -> Period:
    return Period(date(start_year, 4, 1), date(start_year + 1, 4, 1), f"{start_year}/{(start_year + 1) % 100:02d}")


def quarter(start_year: int, number: int) -> Period:
    """Quarter 1 is April to June of the financial year starting in `start_year`; 4 is January to March."""
    if number not in (1, 2, 3, 4):
        raise ValueError("A quarter is numbered 1 to 4")
    start = add_months(date(start_year, 4, 1), 3 * (number - 1))
    return Period(start, add_months(start, 3), f"Q{number} {start_year}/{(start_year + 1) % 100:02d}")


def quarter_number_of(day: date) -> int:
    return (day.month - 4) % 12 // 3 + 1


def quarter_of(day: date) -> Period:
    return quarter(financial_year_of(day), quarter_number_of(day))


def quarters_to(day: date, count: int) -> list[Period]:
    """The `count` quarters ending with the one containing `day`, oldest first."""
    periods = [quarter_of(day)]
    while len(periods) < count:
        periods.insert(0, quarter_of(add_months(periods[0].start, -1)))
    return periods


def rolling_year(to: date) -> Period:
    """The 12 months up to and including `to`."""
    start = date.fromordinal(add_months(to, -12).toordinal() + 1)  # 365 days, 366 across a 29 February
    return Period(start, date.fromordinal(to.toordinal() + 1), f"12 months to {to:%-d %B %Y}")


def between(start: date, end_inclusive: date) -> Period:
    """From `start` to `end_inclusive`; ValueError for a range the calendar cannot end (year 9999)."""
    if end_inclusive >= date.max:
        raise ValueError("the range must end before 31 December 9999")
    return Period(start, date.fromordinal(end_inclusive.toordinal() + 1), f"{start:%-d %B %Y} to {end_inclusive:%-d %B %Y}")
