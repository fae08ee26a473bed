"""The partnership's measures page and its CSV (issue 18, ADR 0028): for one of the person's areas
or all of them, over a financial year. Who may see them follows the other reports (coordinators
and chairs, for their own areas: reports.views). The figures name nobody and read nothing
encrypted; the CSV leaves only after a fresh security code, and is logged."""

import csv

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

import audit
from marac.models import MaracArea
from marac.periods import financial_year, financial_year_of
from marac.reauth import reauthentication_redirect, recently_reauthenticated
from reports import charts
from reports.measures import Measures, measures_for
from reports.views import _area, _report_areas, _year

ALL = "all"


def _measures(request: HttpRequest, purpose: str) -> tuple[Measures, str, int]:
    """?area=CODE (one of the person's areas; any other is a logged 404) or all of them, ?year=."""
    code = request.GET.get("area") or ALL
    areas: list[MaracArea] = _report_areas(request) if code == ALL else [_area(request, code, purpose)]
    year = _year(request)
    return measures_for(areas, financial_year(year), today=timezone.localdate()), code, year


def _charts(m: Measures) -> dict:
    """A chart needs something to draw: with no actions due there is no scorecard chart (the page says so)."""
    return {
        "rate": charts.chart(
            f"Cases heard a year per 10,000 adult women, {m.period.label}",
            "",
            [row.name for row in m.areas],
            [row.per_10000_year for row in m.areas],
            floor=40,
            bars=True,
            axis_label="Cases heard a year per 10,000 adult women",
            series="Cases heard per 10,000 adult women (yearly rate)",
            benchmark=charts.SAFELIVES_CASES_PER_10000,
            category_axis="Area",
        ),
        "actions": charts.chart(
            f"Actions due in {m.period.label} completed on time, by agency",
            "%",
            [score.agency for score in m.scorecard],
            [score.on_time_percentage for score in m.scorecard],
            floor=100,
            bars=True,
            axis_label="Completed on time, % of actions fallen due",
            series="Actions completed on time",
            category_axis="Agency",
        )
        if m.scorecard
        else None,
    }


@require_GET
def measures(request: HttpRequest) -> HttpResponse:
    m, code, year = _measures(request, "measures")
    today = timezone.localdate()
    context = {
        "m": m,
        "code": code,
        "year": year,
        "years": list(range(financial_year_of(today), financial_year_of(today) - 6, -1)),
        "choices": _report_areas(request),
        "charts": _charts(m),
    }
    return render(request, "reports/measures.html", context)


def _days(value) -> str:
    return "" if value.shown is None else str(value.shown)


def _inert(text: str) -> str:
    """A spreadsheet runs a cell starting with one of these as a formula (=HYPERLINK(...) can
    send the sheet's other cells away); a quote makes it text. Area and agency names are typed
    by administrators, so they are not trusted to be plain."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r", "|") else text


@require_GET
def measures_csv(request: HttpRequest) -> HttpResponse:
    m, code, year = _measures(request, "measures export")  # access first: 403 or 404 before asking for a code
    if not recently_reauthenticated(request):
        return reauthentication_redirect(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="measures-{code}-{year}.csv"'
    writer = csv.writer(response)
    writer.writerow(["Measures", m.period.label, f"typical times are {m.average}s, in days"])
    writer.writerow(
        [
            "Area",
            "Referrals submitted",
            "No first contact recorded",
            f"Days from referral to first contact ({m.average})",
            f"Days from submitted to decided ({m.average})",
            f"Days from decided to heard ({m.average})",
            "Cases heard",
            "Repeat cases heard",
            "Repeat rate (NI 32) %",
            "Cases heard a year per 10,000 adult women (benchmark 40)",
        ]
    )
    for row in [*m.areas, *([m.across] if m.across else [])]:
        writer.writerow(
            [
                _inert(row.name),
                row.submitted,
                row.no_first_contact,
                _days(row.to_first_contact),
                _days(row.to_decision),
                _days(row.to_hearing),
                row.ni32.heard,
                row.ni32.repeats,
                "" if row.ni32.percentage is None else row.ni32.percentage,
                "not known" if row.per_10000_year is None else row.per_10000_year,
            ]
        )
    writer.writerow([])
    writer.writerow(
        [
            "Agency",
            "Actions due",
            "Completed on time",
            "Completed late",
            "Completed, date not recorded",
            "Open and overdue",
            "Not possible",
            "Not yet due",
        ]
    )
    for s in m.scorecard:
        writer.writerow([_inert(s.agency), s.due, s.on_time, s.late, s.undated, s.overdue, s.not_possible, s.not_yet_due])
    audit.record(event="export", request=request, purpose=f"measures CSV {code} {m.period.label}")
    return response
