"""The SVG chart builder: well-formed, escaped, proportional, and never painted by colour alone."""

from __future__ import annotations

import pytest
from lxml import etree

from server.transport.svg_charts import Series, axis_ticks, bar_chart, fill_chart, line_chart

pytestmark = pytest.mark.unit
SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> etree._Element:
    return etree.fromstring(str(markup).encode())  # raises on anything that is not well-formed XML


def plain(value: float) -> str:
    return f"{value:g}"


def test_hostile_labels_are_escaped_and_controls_dropped():
    label = '<script>alert(1)</script> R&D\x00\x07 "room"'
    svg = bar_chart([label], [Series("A & B <b>", [3])], chart_id="c", title="Fill </title><x>", number=plain)

    root = parse(svg)

    assert "<script>" not in svg and "\x00" not in svg and "\x07" not in svg
    assert root.findtext(f"{SVG}title") == "Fill </title><x>"
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert '<script>alert(1)</script> R&D "room"' in texts
    assert root.get("role") == "img" and root.get("aria-labelledby") == "c-title"
    assert 'style="' not in svg


def test_bars_across_are_proportional_and_keep_zero():
    svg = parse(bar_chart(["a", "b", "c"], [Series("n", [10, 5, 0])], chart_id="c", title="t", number=plain))

    bars = [element for element in svg.iter(f"{SVG}rect") if element.get("data-value") is not None]
    widths = [float(bar.get("width")) for bar in bars]
    assert [bar.get("data-value") for bar in bars] == ["10", "5", "0"]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
    assert "5" in [element.text for element in svg.iter(f"{SVG}text")]  # the value is written beside its bar


def test_bars_up_share_one_baseline():
    svg = parse(
        bar_chart(
            ["9:00", "10:00", "11:00"], [Series("n", [4, 0, 2])], chart_id="c", title="t", number=plain, across=False
        )
    )

    bars = [element for element in svg.iter(f"{SVG}rect") if element.get("data-value") is not None]
    heights = [float(bar.get("height")) for bar in bars]
    bottoms = {round(float(bar.get("y")) + float(bar.get("height")), 2) for bar in bars}
    assert heights[0] == pytest.approx(2 * heights[2]) and heights[1] == 0
    assert len(bottoms) == 1


def test_several_series_differ_by_pattern_and_have_a_legend():
    series = [
        Series("Seats", [4], tone="muted", pattern="outline"),
        Series("Confirmed", [3], tone="accent"),
        Series("Waitlist", [1], tone="warn", pattern="hatch"),
    ]
    svg = bar_chart(["Opening"], series, chart_id="s", title="t", number=plain)
    root = parse(svg)

    legend = [element.text for element in root.iter(f"{SVG}text")][:3]
    assert legend == ["Seats", "Confirmed", "Waitlist"]
    assert root.find(f".//{SVG}pattern[@id='s-hatch-warn']") is not None
    bars = [element for element in root.iter(f"{SVG}rect") if element.get("data-value") is not None]
    assert [bar.get("fill") for bar in bars] == [None, None, "url(#s-hatch-warn)"]
    assert [bar.get("class") for bar in bars][:2] == [
        "chart-mark chart-wash-muted chart-stroke-muted",
        "chart-mark chart-fill-accent",
    ]


def test_lines_differ_by_dash_and_marker():
    svg = parse(
        line_chart(
            ["1", "2", "3"],
            [Series("Viewers", [0, 10, 5]), Series("Questions", [0, 1, 2], tone="warn", pattern="dash")],
            chart_id="l",
            title="t",
            number=plain,
        )
    )

    lines = list(svg.iter(f"{SVG}polyline"))
    assert [line.get("stroke-dasharray") for line in lines] == [None, "8 4"]
    first = [tuple(map(float, point.split(","))) for point in lines[0].get("points").split()]
    baseline = first[0][1]
    assert baseline - first[1][1] == pytest.approx(2 * (baseline - first[2][1]))
    assert len(list(svg.iter(f"{SVG}circle"))) >= 3 and len(list(svg.iter(f"{SVG}rect"))) >= 3


def test_value_axis_has_whole_round_ticks():
    assert axis_ticks(0) == [0, 1]
    assert axis_ticks(2) == [0, 1, 2]
    assert axis_ticks(8) == [0, 2, 4, 6, 8]
    assert axis_ticks(11) == [0, 5, 10, 15]
    assert axis_ticks(180) == [0, 50, 100, 150, 200]


def test_fill_shows_the_share_taken_and_the_waitlist_after_the_seats():
    svg = parse(
        fill_chart(
            ["Small room", "Hall"],
            seats=[2, 600],
            taken=[2, 150],
            waiting=[1, 0],
            names=("Seats", "Confirmed", "Waitlist"),
            notes=["2 of 2, 1 waiting", "150 of 600, 0 waiting"],
            chart_id="f",
            title="t",
        )
    )

    rows = svg.findall(f".//{SVG}g[@class='chart-row']")
    small, hall = ([float(rect.get("width")) for rect in row.iter(f"{SVG}rect")] for row in rows)
    assert small[0] == hall[0] == small[1]  # every track is as long; a full room fills its track
    assert hall[1] == pytest.approx(hall[0] / 4)
    assert small[2] > 0 and hall[2] == 0
    assert [row.findall(f"{SVG}text")[-1].text for row in rows] == ["2 of 2, 1 waiting", "150 of 600, 0 waiting"]
