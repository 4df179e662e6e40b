"""Texts organisers write for delegates (questions' labels and help, the confirmation mail's paragraph) are kept
per event language and read in the delegate's language, falling back to the event's first language."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from server import i18n
from server.events.models import Event


def translated(values: Mapping[str, str], event: Event, language: str | None = None) -> str:
    """The text for ``language`` (the reader's by default), else the event's first language's, else any."""
    wanted = (i18n.find_language(language) if language else None) or i18n.current_language()
    languages = event.language_list
    for code in languages:
        if values.get(code) and (i18n.find_language(code) or i18n.find_language(code.split("-")[0])) == wanted:
            return values[code]
    if languages and values.get(languages[0]):
        return values[languages[0]]
    return next((text for text in values.values() if text), "")


def language_name(code: str) -> str:
    """An event language's name in the reader's language (``zh`` → Chinese)."""
    return i18n.current_locale().languages.get(code.replace("-", "_"), code) or code


@contextlib.contextmanager
def in_language(code: str, *fallbacks: str) -> Iterator[None]:
    """Mail written on someone else's request (an organiser's approval, another's cancellation) speaks the
    recipient's language: ``code`` (their account's choice), else the first of ``fallbacks`` we speak."""
    with i18n.speaking(code, *fallbacks):
        yield
