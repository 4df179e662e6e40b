"""The templates write each recurring piece once: every form that posts comes from the form macro, which adds the
CSRF token, so no page can forget it or spell it differently."""

from __future__ import annotations

import re

from web import TEMPLATES_DIR

MACROS = TEMPLATES_DIR / "macros" / "forms.html"
POSTING_FORM = re.compile(r"<form\b[^>]*method=[\"']?post", re.IGNORECASE)


def templates() -> dict[str, str]:
    return {
        str(path.relative_to(TEMPLATES_DIR)): path.read_text(encoding="utf-8")
        for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        if path != MACROS
    }


def test_no_template_writes_its_own_csrf_input() -> None:
    written = {name: text.count("csrf_token") for name, text in templates().items() if "csrf_token" in text}

    assert written == {}


def test_every_posting_form_comes_from_the_form_macro() -> None:
    hand_written = {name: len(POSTING_FORM.findall(text)) for name, text in templates().items()}

    assert {name: count for name, count in hand_written.items() if count} == {}
