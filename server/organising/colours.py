"""An event's colours against WCAG 2.x contrast: its main colour is accepted only when text in it on white, and
white text on it, reach AA for normal text (4.5:1; the same ratio, both being against white). For the dark theme
a lighter variant of it is derived that reaches 4.5:1 against the dark page and its dark button text."""

from __future__ import annotations

AA_TEXT = 4.5
WHITE = "#ffffff"
DARK_PAPER = "#12161c"  # web/static/podium.css: --paper in the dark theme
DARK_INK_ON_ACCENT = "#0b1220"  # --accent-ink in the dark theme


def _rgb(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{round(min(max(part, 0), 255)):02x}" for part in rgb)


def luminance(colour: str) -> float:
    """WCAG's relative luminance of a #rrggbb colour."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in _rgb(colour))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(first: str, second: str) -> float:
    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def passes_on_white(colour: str) -> bool:
    return contrast(colour, WHITE) >= AA_TEXT


def mix(colour: str, other: str, amount: float) -> str:
    """``colour`` moved ``amount`` (0 to 1) of the way towards ``other``."""
    ours, theirs = _rgb(colour), _rgb(other)
    return _hex(tuple(a + (b - a) * amount for a, b in zip(ours, theirs, strict=True)))  # type: ignore[arg-type]


def for_dark_theme(colour: str) -> str:
    """The colour lightened just enough to read on the dark page and to carry the dark theme's button text."""
    for step in range(21):
        lighter = mix(colour, WHITE, step / 20)
        if contrast(lighter, DARK_PAPER) >= AA_TEXT and contrast(lighter, DARK_INK_ON_ACCENT) >= AA_TEXT:
            return lighter
    return WHITE
