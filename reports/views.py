"""NI 32 and the quarterly data return: figures for the areas a person coordinates or chairs,
the repeat cases behind a numerator (through the access rules and the field policy), and the
return as CSV and PDF after a fresh security code. Figures name nobody; the drill-down does, so
it is logged like any other page with victim data."""

import csv
import re
from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET

import audit
from marac.models import MaracArea, Role
from marac.pdf import STATIC_BASE, PdfRenderError, recipient_line, render_pdf
from marac.periods import (
    Period,
    between,
    financial_year,
    financial_year_of,
    quarter,
    quarter_number_of,
    quarter_of,
    quarters_to,
    rolling_year,
)
from marac.reauth import reauthentication_redirect, recently_reauthenticated
from marac.refusals import refuse
from marac.security.policy import RedactedView
from referrals.access import cases_for, relationships_to_case
from reports import charts
from reports.selectors import REPEAT_FIELD, data_return, ni32_across, ni32_by_area, per_10000, repeat_hearings

LIST_LIMIT = 1000


def _report_areas(request: HttpRequest) -> list[MaracArea]:
    areas = request.viewer.area_records_for(Role.COORDINATOR, Role.CHAIR)
    if not areas:
        refuse(request, status=403, event="report_access_denied", purpose="NI 32 and data return")
    return areas


def _area(request: HttpRequest, code: str, purpose: str) -> MaracArea:
    area = next((a for a in _report_areas(request) if a.short_code == code), None)
    if area is None:
        refuse(request, status=404, event="report_access_denied", purpose=f"{purpose}: an area the person does not report on")
    return area


def _int(value: str | None, default: int, low: int, high: int) -> int:
    """A small number from the query string, or the default for anything else (never a 500)."""
    if not value or not re.fullmatch(r"[0-9]{1,6}", value):
        return default
    return int(value) if low <= int(value) <= high else default


def _year(request: HttpRequest) -> int:
    current = financial_year_of(timezone.localdate())
    return _int(request.GET.get("year"), current, 2008, current)


@require_GET
def ni32_report(request: HttpRequest) -> HttpResponse:
    areas = _report_areas(request)
    year = _year(request)
    today = timezone.localdate()
    periods = {"year": financial_year(year), "quarter": last_complete_quarter(today), "rolling": rolling_year(today)}
    figures = {name: ni32_by_area(period, areas) for name, period in periods.items()}
    context = {
        "areas": areas,
        "year": year,
        "periods": periods,
        "figures": figures,
        "across": {name: ni32_across(rows) for name, rows in figures.items()},
        "years": list(range(financial_year_of(today), financial_year_of(today) - 6, -1)),
        "quarter": last_complete_quarter(today),
        "trend": _trend(areas, today),
    }
    return render(request, "reports/ni32.html", context)


def _trend(areas: list[MaracArea], today: date) -> dict:
    """NI 32 and cases per 10,000 adult women (a year's rate) over the last 8 quarters, across the areas."""
    quarters = quarters_to(today, 8)
    counted = [a for a in areas if a.adult_female_population]  # a rate only over areas whose population is known
    population = sum(a.adult_female_population for a in counted) or None
    by_quarter = [ni32_by_area(q, areas) for q in quarters]
    totals = [ni32_across(rows) for rows in by_quarter]
    heard_where_known = [sum(r.own.heard for r in rows if r.area in counted) for rows in by_quarter]
    # The quarter under way is rated over the days gone so far, not as if it were complete.
    years = [min(q.end, today + timedelta(days=1)).toordinal() - q.start.toordinal() for q in quarters]
    labels = [q.label + (" (so far)" if today < q.last else "") for q in quarters]
    rows = [
        (q, t, per_10000(n, population, years=days / 365)) for q, t, n, days in zip(quarters, totals, heard_where_known, years, strict=True)
    ]
    return {
        "rows": rows,
        "ni32": charts.chart(
            "NI 32: repeat cases as a percentage of cases heard",
            "%",
            labels,
            [t.percentage for t in totals],
            floor=40,
            bars=False,
            axis_label="Repeat cases, % of cases heard",
            series="NI 32",
        ),
        "rate": charts.chart(
            "Cases heard per 10,000 adult women, as a yearly rate",
            "",
            labels,
            [r for _, _, r in rows],
            floor=40,
            bars=True,
            axis_label="Cases heard a year per 10,000 adult women",
            series="Cases heard per 10,000 adult women (yearly rate)",
            benchmark=charts.SAFELIVES_CASES_PER_10000,
        ),
    }


@require_GET
def repeats(request: HttpRequest, code: str) -> HttpResponse:
    """The repeat cases behind an area's numerator, each through the access rules and the policy."""
    area = _area(request, code, "repeat cases")
    period = _period_from(request)
    heard = repeat_hearings(period, [area.pk], REPEAT_FIELD[area.repeat_definition])
    # Only cases the person can still see (one transferred away since is counted, not listed).
    visible = heard.filter(case__in=cases_for(request.viewer))
    items = list(visible[:LIST_LIMIT])
    # Plain facts and a policy view only: the template never gets a case to reach around the policy.
    rows = [
        (
            timezone.localtime(item.meeting.starts_at).date(),
            item.case.reference,
            None if item.case.is_shredded else RedactedView(item.case.victim, relationships_to_case(request.viewer, item.case)),
        )
        for item in items
    ]
    context = {"area": area, "period": period, "rows": rows, "total": heard.count(), "listed": visible.count()}
    response = render(request, "reports/repeats.html", context)
    audit.record_case_reads(
        request=request,
        reads={reference: view.revealed for _, reference, view in rows if view},
        purpose=f"NI 32 drill-down {area.short_code} {period.label}"[:200],
    )
    return response


def _period_from(request: HttpRequest) -> Period:
    """?from=&to= as ISO dates, else the current financial year; nonsense is ignored, not a 500."""
    try:
        start, end = date.fromisoformat(request.GET.get("from", "")), date.fromisoformat(request.GET.get("to", ""))
        if start <= end:
            return between(start, end)
    except ValueError:
        pass
    return financial_year(financial_year_of(timezone.localdate()))


def last_complete_quarter(today: date) -> Period:
    return quarter_of(quarter_of(today).start - timedelta(days=1))


def _return_for(request: HttpRequest, code: str, purpose: str):
    """The area's return for ?year=&quarter=, by default the last complete quarter (the one due)."""
    area = _area(request, code, purpose)
    due = last_complete_quarter(timezone.localdate()).start
    year = _int(request.GET.get("year"), financial_year_of(due), 2008, financial_year_of(timezone.localdate()))
    number = _int(request.GET.get("quarter"), quarter_number_of(due), 1, 4)
    period = quarter(year, number)
    return data_return(area, period, year_to_date=rolling_year(date.fromordinal(period.end.toordinal() - 1))), year, number


@require_GET
def data_return_page(request: HttpRequest, code: str) -> HttpResponse:
    figures, year, number = _return_for(request, code, "data return")
    return render(
        request,
        "reports/data_return.html",
        {
            "r": figures,
            "rows": _rows(figures),
            "year": year,
            "quarter": number,
            "quarters": [1, 2, 3, 4],
            "years": list(range(financial_year_of(timezone.localdate()), 2019, -1)),
        },
    )


def _rows(r) -> list[tuple[str, int | float | str, float | None]]:
    rows = [
        ("MARAC meetings held", r.meetings_held, None),
        ("Cases discussed", r.heard, None),
        ("Repeat cases", r.ni32.repeats, r.ni32.percentage),
    ]
    rows += [(f"Referred by: {kind}", count, r.share(count)) for kind, count in r.by_agency_kind]
    rows += [
        ("Referred by partner agencies (not the police)", r.from_partners, r.share(r.from_partners)),
        ("Children in the households", r.children, None),
        # Of those children; no percentage here: the column is a share of cases discussed, not of children.
        ("Children whose school's safeguarding lead was told (Operation Encompass)", r.children_school_told, None),
        ("Victims from Black, Asian or racially minoritised groups", r.minoritised, r.share(r.minoritised)),
        ("LGBT+ victims", r.lgbt, r.share(r.lgbt)),
        ("Disabled victims", r.disabled, r.share(r.disabled)),
        ("Male victims", r.male, r.share(r.male)),
        ("Victims aged 16 or 17", r.aged_16_17, r.share(r.aged_16_17)),
        ("Perpetrators aged 17 or under", r.young_perpetrators, None),
        (
            "Cases per 10,000 adult women, 12 months to the quarter's end (benchmark 40)",
            "not known" if r.per_10000_year is None else r.per_10000_year,
            None,
        ),
    ]
    return rows


@require_GET
def data_return_csv(request: HttpRequest, code: str) -> HttpResponse:
    figures, year, number = _return_for(request, code, "data return export")  # access first: 403 or 404 before asking for a code
    if not recently_reauthenticated(request):
        return reauthentication_redirect(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{figures.area.short_code}-data-return-{year}-Q{number}.csv"'
    writer = csv.writer(response)
    writer.writerow(["Measure", "Number", "Percentage of cases discussed"])
    for measure, value, share in _rows(figures):
        writer.writerow([measure, value, "" if share is None else share])
    for warning in figures.warnings:
        writer.writerow([f"Data quality: {warning}", "", ""])
    audit.record(event="export", request=request, purpose=f"data return CSV {figures.area.short_code} {figures.period.label}")
    return response


@require_GET
def data_return_pdf(request: HttpRequest, code: str) -> HttpResponse:
    figures, year, number = _return_for(request, code, "data return export")  # access first: 403 or 404 before asking for a code
    if not recently_reauthenticated(request):
        return reauthentication_redirect(request)
    html = render_to_string(
        "pdf/data_return.html",
        {
            "r": figures,
            "rows": _rows(figures),
            "pdf_static": STATIC_BASE,
            "prepared_on": date_format(timezone.localdate(), "j F Y"),
            **recipient_line(request.viewer, figures.area.pk),
            "trend": _trend([figures.area], date.fromordinal(figures.period.end.toordinal() - 1)),
        },
    )
    try:
        pdf = render_pdf(html)
    except PdfRenderError as error:
        return render(request, "components/pdf_failed.html", {"message": str(error), "back_url": reverse("ni32-report")}, status=503)
    audit.record(event="export", request=request, purpose=f"data return PDF {figures.area.short_code} {figures.period.label}")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{figures.area.short_code}-data-return-{year}-Q{number}.pdf"'
    return response
