"""The trend charts, drawn on the server as SVG so that they need no script and appear in the PDF
too. Presentation only: the figures come from selectors and are also shown as a table.

Every position is worked out here, not in the template, so that a test can prove what a reader
needs: a labelled value axis with gridlines, a labelled period axis, the benchmark line, and no
two labels on top of each other. Text widths are estimated on the generous side (text_width)
because the server cannot measure the font the browser or WeasyPrint will use; the SVG's text
takes the page's own font from the stylesheet.
"""

import math
from dataclasses import dataclass, field

WIDTH = 680
FONT_SIZE = 14  # SVG units; the chart is drawn between 560 and 720 px wide, so 12 to 15 px on screen
LINE_HEIGHT = FONT_SIZE + 3
# Widths in em, each at or above the widest glyph of its kind in Arial and DejaVu Sans.
NARROW, WIDE = set(" ()/.,:;'!|iljftrI1"), set("mwMW%")
GAP = 8  # the least space between two labels side by side
RIGHT = 16
PLOT_HEIGHT = 200


@dataclass(frozen=True)
class Benchmark:
    value: float
    label: str


# SafeLives expects about 40 cases a year to be heard for every 10,000 adult women in an area.
SAFELIVES_CASES_PER_10000 = Benchmark(40, "SafeLives benchmark: 40 cases a year per 10,000 adult women")


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    anchor: str = "middle"
    backed: bool = False  # drawn on a white box, so that a line or gridline under it never hides it

    @property
    def width(self) -> float:
        return text_width(self.text)

    @property
    def height(self) -> float:
        return FONT_SIZE * 1.12

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) as estimated: the white box behind it, and the overlap tests."""
        left = {"start": self.x, "middle": self.x - self.width / 2, "end": self.x - self.width}[self.anchor]
        return left, self.y - FONT_SIZE * 0.9, left + self.width, self.y + FONT_SIZE * 0.22


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    kind: str  # "grid", "axis", "benchmark" or "series" (the line's sample in the key)


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Point:
    x: float
    y: float


@dataclass
class Chart:
    title: str
    width: int = WIDTH
    height: float = 0
    texts: list[Text] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    bars: list[Bar] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    legend_bars: list[Bar] = field(default_factory=list)
    legend_rules: list[Rule] = field(default_factory=list)
    benchmark_said: str = ""  # the benchmark in words, for the chart's text alternative

    @property
    def line(self) -> str:
        """The series as an SVG polyline's points, or "" for a bar chart."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points) if len(self.points) > 1 else ""


def text_width(text: str) -> float:
    """An estimate on the wide side: the server cannot measure the font that draws the text."""
    ems = sum(0.42 if c in NARROW else 1.0 if c in WIDE else 0.8 if c.isupper() else 0.65 for c in text)
    return ems * FONT_SIZE


def wrap(text: str, room: float) -> list[str]:
    """Words on as few lines as fit `room`; a word wider than the room stays whole on its own line
    (the caller spaces labels out so that it never has to)."""
    lines: list[str] = []
    for word in text.split():
        if lines and text_width(f"{lines[-1]} {word}") <= room:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


def _stride(texts: list[str], step: float) -> int:
    """Label every n-th period, n the least that gives the widest word room beside its neighbours."""
    widest = max((text_width(word) for text in texts for word in text.split()), default=0)
    return max(1, math.ceil((widest + GAP) / step))


def _ticks(high: float) -> list[float]:
    """0 and about five evenly spaced round values, the last at or above `high`."""
    rough = high / 5
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)
    return [step * i for i in range(math.ceil(high / step - 1e-9) + 1)]


def _tick_label(value: float, step: float, unit: str) -> str:
    decimals = 0 if float(step).is_integer() else 1
    return f"{value:,.{decimals}f}{unit}"


def _value_label(value: float | None, unit: str) -> str:
    return "no figure" if value is None else f"{value:,.1f}{unit}"


@dataclass(frozen=True)
class Columns:
    """Where the periods go: the first column's left edge, each column's width, every how many
    periods a value and a period are labelled, and each label's lines."""

    left: float
    step: float
    value_stride: int
    label_stride: int
    value_lines: list[list[str]]
    label_lines: list[list[str]]

    def centre(self, index: int) -> float:
        return self.left + self.step * index + self.step / 2


def _columns(left: float, value_labels: list[str], labels: list[str]) -> Columns:
    """Columns inset from the value axis far enough that the first label (and the last) stays
    clear of the tick labels and on the chart: a label wider than its column, when periods are
    many or figures long, reaches into the inset rather than past it."""
    inset = 0.0
    for _ in range(10):  # the inset only grows, and settles in two or three rounds
        step = (WIDTH - left - RIGHT - 2 * inset) / max(len(labels), 1)
        value_stride, label_stride = _stride(value_labels, step), _stride(labels, step)
        value_lines = [wrap(t, step * value_stride - GAP) for t in value_labels]
        label_lines = [wrap(t, step * label_stride - GAP) for t in labels]
        widest = max(text_width(line) for lines in value_lines + label_lines for line in lines)
        needed = max(0.0, (widest + GAP - step) / 2)
        if needed <= inset:
            break
        inset = needed
    return Columns(left + inset, step, value_stride, label_stride, value_lines, label_lines)


def chart(
    title: str,
    unit: str,
    labels: list[str],
    values: list[float | None],
    *,
    floor: float,
    bars: bool,
    axis_label: str,
    series: str,
    benchmark: Benchmark | None = None,
    category_axis: str = "Quarter",
) -> Chart:
    """Bars or a line over equally spaced periods; a period without a figure (no cases heard, or
    no population recorded) is left empty and labelled "no figure" rather than drawn as zero.
    The value axis runs from 0 to at least the largest value and the floor, past the benchmark."""
    figures = [v if v is not None and math.isfinite(v) else None for v in values]
    # Past the benchmark, so that its line is drawn inside the plot rather than on its top edge.
    high = max([floor, 1.0, *(max(v, 0.0) for v in figures if v is not None), benchmark.value * 1.1 if benchmark else 0.0])
    ticks = _ticks(high)
    tick_labels = [_tick_label(t, ticks[1], unit) for t in ticks]
    axis_x = max(text_width(t) for t in tick_labels) + GAP + 4
    columns = _columns(axis_x, [_value_label(v, unit) for v in figures], labels)

    c = Chart(title=title, benchmark_said=f"The dashed line is the {benchmark.label}" if benchmark else "")
    # Bands from the top: the value axis' name, room for values over the tallest mark, the plot.
    c.texts.append(Text(0, FONT_SIZE, axis_label, anchor="start"))
    top = LINE_HEIGHT + 6 + LINE_HEIGHT * max(len(lines) for lines in columns.value_lines)
    baseline = top + PLOT_HEIGHT

    def y_of(value: float) -> float:
        return baseline - PLOT_HEIGHT * max(value, 0.0) / ticks[-1]

    for tick, text in zip(ticks, tick_labels, strict=True):
        c.rules.append(Rule(axis_x, y_of(tick), WIDTH - RIGHT, y_of(tick), "axis" if tick == 0 else "grid"))
        c.texts.append(Text(axis_x - GAP, y_of(tick) + FONT_SIZE * 0.35, text, anchor="end"))
    c.rules.append(Rule(axis_x, top - 4, axis_x, baseline, "axis"))
    if benchmark:
        c.rules.append(Rule(axis_x, y_of(benchmark.value), WIDTH - RIGHT, y_of(benchmark.value), "benchmark"))
    for index, value in enumerate(figures):
        _mark(c, columns, index, None if value is None else y_of(value), baseline, bars)

    below = baseline + 4 + LINE_HEIGHT * max((len(lines) for lines in columns.label_lines), default=1) + 6
    c.texts.append(Text(axis_x + (WIDTH - RIGHT - axis_x) / 2, below + LINE_HEIGHT, category_axis))
    c.height = _legend(c, below + LINE_HEIGHT + 10, series, bars, benchmark)
    return c


def _mark(c: Chart, columns: Columns, index: int, y: float | None, baseline: float, bars: bool) -> None:
    """One period: its bar or point (none without a figure), its value over it, its name under the axis."""
    x = columns.centre(index)
    if y is not None and bars:
        c.bars.append(Bar(x - columns.step * 0.3, y, columns.step * 0.6, baseline - y))
    elif y is not None:
        c.points.append(Point(x, y))
    if index % columns.value_stride == 0:
        for row, line in enumerate(reversed(columns.value_lines[index])):
            c.texts.append(Text(x, (baseline if y is None else y) - 6 - row * LINE_HEIGHT, line, backed=True))
    if index % columns.label_stride == 0:
        for row, line in enumerate(columns.label_lines[index]):
            c.texts.append(Text(x, baseline + 4 + LINE_HEIGHT * (row + 1), line))


def _legend(c: Chart, y: float, series: str, bars: bool, benchmark: Benchmark | None) -> float:
    """A key under the chart, one entry a row: the series, then the benchmark. Returns the height."""
    entries = [(series, "bar" if bars else "series")] + ([(benchmark.label, "benchmark")] if benchmark else [])
    for text, kind in entries:
        for row, line in enumerate(wrap(text, WIDTH - 40)):
            y += LINE_HEIGHT
            if row == 0 and kind == "bar":
                c.legend_bars.append(Bar(0, y - FONT_SIZE * 0.8, 24, FONT_SIZE * 0.8))
            elif row == 0:
                c.legend_rules.append(Rule(0, y - FONT_SIZE * 0.35, 24, y - FONT_SIZE * 0.35, kind))
            c.texts.append(Text(32, y, line, anchor="start"))
        y += 4
    return math.ceil(y + 6)


def overlapping(texts: list[Text]) -> list[tuple[str, str]]:
    """Pairs of labels whose estimated boxes meet: for tests, which must find none."""
    pairs = []
    for index, first in enumerate(texts):
        a = first.box
        for second in texts[index + 1 :]:
            b = second.box
            if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                pairs.append((first.text, second.text))
    return pairs
