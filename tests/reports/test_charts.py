"""The NI 32 trend charts: labelled axes with gridlines, the SafeLives benchmark line, labels that
never overlap whatever the figures, and a chart that a PDF page break never splits."""

import tempfile
from pathlib import Path

import pytest
from django.template.loader import render_to_string

from marac.pdf import STATIC_BASE, render_pdf
from reports import charts
from tests.conftest import poppler

QUARTERS = ["Q1 2025/26", "Q2 2025/26", "Q3 2025/26", "Q4 2025/26", "Q1 2026/27", "Q2 2026/27", "Q3 2026/27", "Q4 2026/27 (so far)"]


def rate_chart(values, labels=QUARTERS):
    return charts.chart(
        "Cases heard per 10,000 adult women",
        "",
        labels,
        values,
        floor=40,
        bars=True,
        axis_label="Cases heard a year per 10,000 adult women",
        series="Cases heard per 10,000 adult women",
        benchmark=charts.SAFELIVES_CASES_PER_10000,
    )


def ni32_chart(values, labels=QUARTERS):
    return charts.chart("NI 32", "%", labels, values, floor=40, bars=False, axis_label="Repeat cases, % of cases heard", series="NI 32")


def words(chart) -> list[str]:
    return [t.text for t in chart.texts]


def test_both_axes_are_labelled_and_the_value_axis_has_gridlines_from_zero():
    chart = ni32_chart([10.0, None, 25.5, 33.3, 0.0, 12.0, 40.0, 18.2])
    assert "Repeat cases, % of cases heard" in words(chart) and "Quarter" in words(chart)
    assert ["0%", "10%", "20%", "30%", "40%"] == [t.text for t in chart.texts if t.anchor == "end"]
    assert len([r for r in chart.rules if r.kind == "grid"]) == 4
    assert "no figure" in words(chart)  # a quarter without cases heard is not drawn as zero
    assert len(chart.points) == 7


def test_the_rate_chart_draws_the_safelives_benchmark_at_40_and_names_it_in_the_key():
    chart = rate_chart([3.0, 45.2, None, 38.0, 41.0, 12.0, 40.0, 50.0])
    (benchmark,) = [r for r in chart.rules if r.kind == "benchmark"]
    (forty,) = [r for r in chart.rules if r.kind == "grid" and r.y1 == benchmark.y1]  # on the 40 gridline
    assert "SafeLives benchmark: 40 cases a year per 10,000 adult women" in words(chart)
    assert "SafeLives benchmark" in chart.benchmark_said


def test_the_value_axis_reaches_the_benchmark_even_when_every_figure_is_below_it():
    chart = rate_chart([1.0] * 8)
    benchmark = next(r for r in chart.rules if r.kind == "benchmark")
    plot_top = min(r.y1 for r in chart.rules if r.kind == "grid")
    assert benchmark.y1 >= plot_top


@pytest.mark.parametrize(
    "values, labels",
    [
        ([10.0, None, 25.5, 33.3, 0.0, 12.0, 40.0, 18.2], QUARTERS),
        ([None] * 8, QUARTERS),
        ([1_234_567.8] * 8, QUARTERS),
        ([0.0] * 8, QUARTERS),
        ([99.9, 0.1] * 4, QUARTERS),
        ([12.5], ["Q1 2026/27 (so far)"]),
        ([float(n) for n in range(40)], [f"Q{n % 4 + 1} {2016 + n // 4}/{17 + n // 4}" for n in range(40)]),
        ([5.0] * 3, ["A very long period label with many words in it"] * 3),
        ([5.0, float("nan"), float("inf"), -3.0], QUARTERS[:4]),
    ],
)
def test_no_two_labels_overlap_whatever_the_figures(values, labels):
    for chart in (rate_chart(values, labels), ni32_chart(values, labels)):
        assert charts.overlapping(chart.texts) == []
        assert all(0 <= t.box[0] and t.box[2] <= chart.width for t in chart.texts), "a label runs off the chart"
        assert all(0 <= t.box[1] and t.box[3] <= chart.height for t in chart.texts)


def test_the_overlap_check_finds_labels_on_top_of_each_other():
    """The check above can fail."""
    assert charts.overlapping([charts.Text(100, 100, "40.0%"), charts.Text(110, 105, "12.0%")]) == [("40.0%", "12.0%")]


def test_the_chart_is_an_image_with_a_text_alternative_in_a_scroll_region_a_keyboard_reaches():
    html = render_to_string("reports/_chart.html", {"c": rate_chart([3.0] * 8), "id": "rate"})
    assert 'role="img" aria-labelledby="rate-title"' in html and 'tabindex="0" role="region"' not in html
    assert 'class="app-table-scroll marac-chart__canvas" role="region"' in html and 'tabindex="0"' in html
    assert "The dashed line is the SafeLives benchmark" in html and 'stroke-dasharray="8 5"' in html


def test_a_page_break_never_splits_a_chart_from_its_caption_in_the_pdf_and_its_labels_use_the_documents_font():
    """Space above leaves room for the drawing but not its caption: the whole figure moves on."""
    chart = rate_chart([3.0, 45.2, None, 38.0, 41.0, 12.0, 40.0, 50.0])
    figure = render_to_string("reports/_chart.html", {"c": chart, "id": "rate"})
    drawing_mm = 174 * chart.height / chart.width  # A4 less the margins of pack.css is 174 x 255 mm
    html = (
        f'<html><head><link rel="stylesheet" href="{STATIC_BASE}pdf/pack.css">'
        f"<style>.spacer {{ height: {255 - drawing_mm - 3:.1f}mm; }}</style></head>"
        f'<body><div class="spacer">Before the chart</div>{figure}</body></html>'
    )
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "chart.pdf"
        path.write_bytes(render_pdf(html))
        pages = poppler("pdftotext", str(path), "-").split("\f")
        fonts = poppler("pdffonts", str(path)).splitlines()[2:]
    (page,) = [p for p in pages if "SafeLives benchmark" in p]
    assert fonts and all("DejaVu-Sans" in font for font in fonts), fonts  # the labels are in the document's font
    assert "Cases heard per 10,000 adult women" in page.replace("\n", " ")  # the caption, on the same page
    assert "Before the chart" not in page
