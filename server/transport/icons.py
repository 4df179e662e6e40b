"""Icons from the npm package lucide-static (web/node_modules, also served under /static/vendor/), inlined into
the page as SVG: no request per icon, nothing the CSP has to allow, and the icon takes the text's colour. An icon
is decoration beside words, so it is hidden from assistive technology; a control's name is its text."""

from __future__ import annotations

import functools
import re

from markupsafe import Markup

from web import NODE_MODULES_DIR

ICONS_DIR = NODE_MODULES_DIR / "lucide-static" / "icons"
NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_INSIDE = re.compile(r"<svg\b[^>]*>(.*)</svg>", re.DOTALL)


@functools.cache
def _drawing(name: str) -> str:
    """The shapes inside the icon's <svg> element; a name the package does not have is a template's mistake."""
    if not NAME.fullmatch(name):
        raise ValueError(f"not an icon name: {name!r}")
    found = _INSIDE.search((ICONS_DIR / f"{name}.svg").read_text(encoding="utf-8"))
    if found is None:
        raise ValueError(f"no drawing in the icon {name!r}")
    return " ".join(line.strip() for line in found.group(1).splitlines() if line.strip())


def icon(name: str) -> Markup:
    """``{{ icon("pencil") }}``: the icon as inline SVG with class ``icon``."""
    return Markup(
        '<svg class="icon icon-{name}" aria-hidden="true" focusable="false" viewBox="0 0 24 24" fill="none" '
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{drawing}</svg>'
    ).format(name=name, drawing=Markup(_drawing(name)))  # noqa: S704 -- the drawing is the package's own file
