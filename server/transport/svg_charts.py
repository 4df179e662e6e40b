"""Series into accessible SVG: grouped bars (across or up) and lines, drawn on the server.

Pure functions: labels and numbers come in already translated and formatted (the caller passes Babel's number
format), the markup comes out escaped. Colours are classes that the page's stylesheet maps to design tokens
(charts.css), so the dark theme and an event's accent apply; each series also differs by pattern, dash or marker,
never by colour alone. No ``style`` attribute anywhere (the CSP forbids inline styles); presentation attributes
(``fill="url(#…)"``, ``stroke-dasharray``) are fine.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

TONES = ("accent", "good", "warn", "bad", "muted")
BAR_PATTERNS = ("solid", "hatch", "outline")
LINE_DASHES = {"solid": "", "dash": "8 4", "dot": "2 4"}
MARKERS = ("circle", "square", "diamond")

WIDTH = 640
LABEL_MAX = 64  # characters of a label drawn in the picture; the table and the tooltip keep it whole
# Characters XML 1.0 forbids (NUL and other controls but tab and newlines), and lone surrogates.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

Number = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    """One series: its legend name, a value per label, a tone (a design token) and a pattern (bars: solid, hatch,
    outline; lines: solid, dash, dot)."""

    name: str
    values: Sequence[float]
    tone: str = "accent"
    pattern: str = "solid"


def text(value: str) -> Markup:
    """Escaped for XML: markup characters escaped, characters XML cannot hold (NUL, controls) dropped."""
    return escape(_NOT_XML.sub("", value))


def short(value: str) -> str:
    return value if len(value) <= LABEL_MAX else value[: LABEL_MAX - 1] + "…"


def nice_step(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^n at or above ``value``, at least 1: counts get whole ticks."""
    if value <= 1:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(step * power for step in (1, 2, 5, 10) if step * power >= value))


def axis_ticks(largest: float) -> list[float]:
    """Up to five round ticks from 0 to at or above ``largest``: the value axis."""
    step = nice_step(largest / 4)
    return [step * index for index in range(max(1, math.ceil(largest / step)) + 1)]


def _f(value: float) -> str:
    """A coordinate: two decimals at most, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _fill(chart_id: str, tone: str, pattern: str) -> str:
    """The attributes that paint a bar or a legend swatch."""
    tone = tone if tone in TONES else "accent"
    if pattern == "hatch":
        return f'class="chart-mark chart-stroke-{tone}" fill="url(#{chart_id}-hatch-{tone})"'
    if pattern == "outline":
        return f'class="chart-mark chart-wash-{tone} chart-stroke-{tone}"'
    return f'class="chart-mark chart-fill-{tone}"'


def _defs(chart_id: str, series: Sequence[Series]) -> str:
    hatched = sorted({s.tone if s.tone in TONES else "accent" for s in series if s.pattern == "hatch"})
    patterns = "".join(
        f'<pattern id="{chart_id}-hatch-{tone}" patternUnits="userSpaceOnUse" width="6" height="6" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" class="chart-wash-{tone}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke-width="3" class="chart-stroke-{tone}"/></pattern>'
        for tone in hatched
    )
    return f"<defs>{patterns}</defs>" if patterns else ""


def _open(chart_id: str, title: str, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {WIDTH} {_f(height)}" '
        f'role="img" aria-labelledby="{chart_id}-title" focusable="false">'
        f'<title id="{chart_id}-title">{text(title)}</title>'
    )


def _legend(chart_id: str, series: Sequence[Series], *, lines: bool) -> tuple[str, float]:
    """The legend on one row at the top (only when there are several series), and its height."""
    if len(series) < 2:
        return "", 0.0
    parts, x = [], 0.0
    for index, item in enumerate(series):
        if lines:
            swatch = _line_swatch(index, item, x)
        else:
            swatch = f'<rect x="{_f(x)}" y="2" width="14" height="14" {_fill(chart_id, item.tone, item.pattern)}/>'
        parts.append(
            f'<g class="chart-legend-item">{swatch}'
            f'<text x="{_f(x + 20)}" y="14" class="chart-text">{text(short(item.name))}</text></g>'
        )
        x += 36 + 8 * len(short(item.name))
    return '<g class="chart-legend">' + "".join(parts) + "</g>", 28.0


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    number: Number,
    across: bool = True,
) -> Markup:
    """Grouped bars: across (a row per label, its name above its bars, the value after each bar) for named
    things, or up (a column per label, a value axis at the left) for a sequence such as hours."""
    if across:
        return _bars_across(labels, series, chart_id=chart_id, title=title, number=number)
    return _bars_up(labels, series, chart_id=chart_id, title=title, number=number)


def _top(series: Sequence[Series]) -> float:
    return axis_ticks(max((value for item in series for value in item.values), default=0))[-1]


def _bars_across(
    labels: Sequence[str], series: Sequence[Series], *, chart_id: str, title: str, number: Number
) -> Markup:
    legend, y = _legend(chart_id, series, lines=False)
    top = _top(series)
    area = WIDTH - 80  # room after the longest bar for its value
    bar, gap, label_height, row_gap = 14.0, 3.0, 18.0, 12.0
    rows = []
    for index, label in enumerate(labels):
        parts = [f'<text x="0" y="{_f(y + 13)}" class="chart-text">{text(short(label))}</text>']
        y += label_height
        for item in series:
            value = item.values[index]
            width = area * value / top
            parts.append(
                f'<rect x="0" y="{_f(y)}" width="{_f(width)}" height="{_f(bar)}" '
                f'{_fill(chart_id, item.tone, item.pattern)} data-value="{_f(value)}">'
                f"<title>{text(label)} – {text(item.name)}: {text(number(value))}</title></rect>"
                f'<text x="{_f(width + 6)}" y="{_f(y + 11.5)}" class="chart-value">{text(number(value))}</text>'
            )
            y += bar + gap
        y += row_gap
        rows.append('<g class="chart-row">' + "".join(parts) + "</g>")
    return Markup(  # noqa: S704 -- every text went through text()
        _open(chart_id, title, y) + _defs(chart_id, series) + legend + "".join(rows) + "</svg>"
    )


def _every(count: int, room: float, width: float) -> int:
    """Label every n-th position so that labels of ``width`` units do not overlap in ``room`` units."""
    return max(1, math.ceil(count * width / room)) if count else 1


def _value_axis(left: float, top_y: float, height: float, top: float, number: Number) -> str:
    parts = []
    for tick in axis_ticks(top):
        y = top_y + height - height * tick / top
        parts.append(
            f'<line x1="{_f(left)}" x2="{WIDTH}" y1="{_f(y)}" y2="{_f(y)}" class="chart-grid"/>'
            f'<text x="{_f(left - 6)}" y="{_f(y + 4)}" text-anchor="end" class="chart-axis">{text(number(tick))}</text>'
        )
    return '<g class="chart-value-axis">' + "".join(parts) + "</g>"


def _bars_up(labels: Sequence[str], series: Sequence[Series], *, chart_id: str, title: str, number: Number) -> Markup:
    legend, top_y = _legend(chart_id, series, lines=False)
    top_y += 8
    left, height, bottom = 48.0, 180.0, 28.0
    top = _top(series)
    slot = (WIDTH - left) / max(len(labels), 1)
    bar = min(40.0, slot * 0.8 / max(len(series), 1))
    every = _every(len(labels), WIDTH - left, 48)
    parts = [_value_axis(left, top_y, height, top, number)]
    for index, label in enumerate(labels):
        x = left + slot * index + (slot - bar * len(series)) / 2
        for item in series:
            value = item.values[index]
            bar_height = height * value / top
            parts.append(
                f'<rect x="{_f(x)}" y="{_f(top_y + height - bar_height)}" width="{_f(bar)}" '
                f'height="{_f(bar_height)}" {_fill(chart_id, item.tone, item.pattern)} data-value="{_f(value)}">'
                f"<title>{text(label)} – {text(item.name)}: {text(number(value))}</title></rect>"
            )
            x += bar
        if index % every == 0:
            centre = left + slot * index + slot / 2
            parts.append(
                f'<text x="{_f(centre)}" y="{_f(top_y + height + 18)}" text-anchor="middle" class="chart-axis">'
                f"{text(short(label))}</text>"
            )
    return Markup(  # noqa: S704 -- every text went through text()
        _open(chart_id, title, top_y + height + bottom)
        + _defs(chart_id, series)
        + legend
        + '<g class="chart-bars">'
        + "".join(parts)
        + "</g></svg>"
    )


def _marker(index: int, x: float, y: float, tone: str) -> str:
    shape = MARKERS[index % len(MARKERS)]
    paint = f'class="chart-fill-{tone}"'
    if shape == "circle":
        return f'<circle cx="{_f(x)}" cy="{_f(y)}" r="3.5" {paint}/>'
    if shape == "square":
        return f'<rect x="{_f(x - 3.5)}" y="{_f(y - 3.5)}" width="7" height="7" {paint}/>'
    return (
        f'<path d="M{_f(x)} {_f(y - 4.5)}L{_f(x + 4.5)} {_f(y)}L{_f(x)} {_f(y + 4.5)}L{_f(x - 4.5)} {_f(y)}Z" {paint}/>'
    )


def _dash(item: Series) -> str:
    dash = LINE_DASHES.get(item.pattern, "")
    return f' stroke-dasharray="{dash}"' if dash else ""


def _line_swatch(index: int, item: Series, x: float) -> str:
    tone = item.tone if item.tone in TONES else "accent"
    return (
        f'<line x1="{_f(x)}" x2="{_f(x + 14)}" y1="9" y2="9" stroke-width="2.5" '
        f'class="chart-line chart-stroke-{tone}"{_dash(item)}/>' + _marker(index, x + 7, 9, tone)
    )


def line_chart(labels: Sequence[str], series: Sequence[Series], *, chart_id: str, title: str, number: Number) -> Markup:
    """A line per series over evenly spaced labels (days, minutes), with markers while the points are few."""
    legend, top_y = _legend(chart_id, series, lines=True)
    top_y += 8
    left, height, bottom = 48.0, 180.0, 28.0
    top = _top(series)
    count = len(labels)
    step = (WIDTH - left - 32) / max(count - 1, 1)  # room at the right for the last label
    every = _every(count, WIDTH - left, 64)
    parts = [_value_axis(left, top_y, height, top, number)]
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(
                f'<text x="{_f(left + step * index)}" y="{_f(top_y + height + 18)}" text-anchor="middle" '
                f'class="chart-axis">{text(short(label))}</text>'
            )
    for number_of_series, item in enumerate(series):
        tone = item.tone if item.tone in TONES else "accent"
        points = [
            (left + step * index, top_y + height - height * value / top) for index, value in enumerate(item.values)
        ]
        drawn = " ".join(f"{_f(x)},{_f(y)}" for x, y in points)
        parts.append(
            f'<g class="chart-series" data-series="{number_of_series}">'
            f'<polyline points="{drawn}" fill="none" stroke-width="2.5" class="chart-line chart-stroke-{tone}"'
            f"{_dash(item)}/>"
        )
        if count <= 60:
            parts.extend(_marker(number_of_series, x, y, tone) for x, y in points)
        parts.append("</g>")
    return Markup(  # noqa: S704 -- every text went through text()
        _open(chart_id, title, top_y + height + bottom) + legend + "".join(parts) + "</svg>"
    )


def fill_chart(
    labels: Sequence[str],
    *,
    seats: Sequence[int],
    taken: Sequence[int],
    waiting: Sequence[int],
    names: tuple[str, str, str],
    notes: Sequence[str],
    chart_id: str,
    title: str,
) -> Markup:
    """A row per thing that fills: a track as long as its seats (the same length for every row: the share
    filled is what compares), the seats taken over it, the waitlist after them in hatching, and a note
    ("2 of 2, 1 waiting") in words. ``names`` name the three in the legend."""
    series = [
        Series(names[0], seats, tone="muted", pattern="outline"),
        Series(names[1], taken, tone="accent"),
        Series(names[2], waiting, tone="warn", pattern="hatch"),
    ]
    legend, y = _legend(chart_id, series, lines=False)
    area, bar, label_height, row_gap = WIDTH * 0.55, 14.0, 18.0, 12.0
    rows = []
    for label, capacity, filled, queued, note in zip(labels, seats, taken, waiting, notes, strict=True):
        unit = area / capacity if capacity else 0.0
        taken_width = unit * min(filled, capacity)
        waiting_width = min(unit * queued, 100.0) if queued else 0.0  # the note needs the rest of the row
        tooltip = f"<title>{text(label)}: {text(note)}</title>"
        rows.append(
            '<g class="chart-row">'
            f'<text x="0" y="{_f(y + 13)}" class="chart-text">{text(short(label))}</text>'
            f'<rect x="0" y="{_f(y + label_height)}" width="{_f(area)}" height="{_f(bar)}" '
            f'{_fill(chart_id, "muted", "outline")} data-value="{capacity}">{tooltip}</rect>'
            f'<rect x="0" y="{_f(y + label_height)}" width="{_f(taken_width)}" height="{_f(bar)}" '
            f'{_fill(chart_id, "accent", "solid")} data-value="{filled}">{tooltip}</rect>'
            f'<rect x="{_f(area)}" y="{_f(y + label_height)}" width="{_f(waiting_width)}" height="{_f(bar)}" '
            f'{_fill(chart_id, "warn", "hatch")} data-value="{queued}">{tooltip}</rect>'
            f'<text x="{_f(area + waiting_width + 6)}" y="{_f(y + label_height + 11.5)}" class="chart-value">'
            f"{text(note)}</text></g>"
        )
        y += label_height + bar + row_gap
    return Markup(  # noqa: S704 -- every text went through text()
        _open(chart_id, title, y) + _defs(chart_id, series) + legend + "".join(rows) + "</svg>"
    )
