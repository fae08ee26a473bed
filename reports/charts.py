"""The trend chart, drawn on the server as SVG so that it needs no script and appears in the PDF
too. Presentation only: the figures come from selectors and are also shown as a table."""

from dataclasses import dataclass

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    height: float
    label: str
    value: str


@dataclass(frozen=True)
class Chart:
    title: str
    unit: str
    marks: list[Mark]
    line: str  # an SVG polyline's points, or "" for bars only
    top_label: str
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - BOTTOM
    left: int = LEFT
    bar_width: float = 0


def _scale(values: list[float | None], floor: float) -> float:
    return max([floor, *(v for v in values if v is not None)]) * 1.1


def chart(title: str, unit: str, labels: list[str], values: list[float | None], *, floor: float, bars: bool) -> Chart:
    """Bars or a line over equally spaced periods; a period without a figure (no cases heard, or
    no population recorded) is left empty rather than drawn as zero."""
    top = _scale(values, floor)
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    plot_height = HEIGHT - TOP - BOTTOM
    marks = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = 0 if value is None else plot_height * value / top
        marks.append(
            Mark(
                x=LEFT + step * index + step / 2,
                y=HEIGHT - BOTTOM - height,
                height=height,
                label=label,
                value="no figure" if value is None else f"{value:.1f}{unit}",
            )
        )
    line = "" if bars else " ".join(f"{m.x:.1f},{m.y:.1f}" for m, v in zip(marks, values, strict=True) if v is not None)
    return Chart(title=title, unit=unit, marks=marks, line=line, top_label=f"{top:.0f}{unit}", bar_width=step * 0.6 if bars else 0)
