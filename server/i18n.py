"""Languages: gettext catalogues (Babel) chosen per request and read through a context variable."""

from __future__ import annotations

import contextvars
import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@dataclass(frozen=True)
class Language:
    code: str  # as it appears in URLs and the lang attribute (BCP 47)
    babel: str  # Babel's locale identifier and the catalogue folder name
    name: str  # in its own language, for the switch
    direction: str = "ltr"  # the page's dir attribute: "rtl" mirrors the layout (Arabic)


LANGUAGES = (
    Language(code="en", babel="en", name="English"),
    Language(code="zh-Hans", babel="zh_Hans", name="简体中文"),
    Language(code="ja", babel="ja", name="日本語"),
    Language(code="ko", babel="ko", name="한국어"),
    Language(code="id", babel="id", name="Bahasa Indonesia"),
    Language(code="ar", babel="ar", name="العربية", direction="rtl"),
)
DEFAULT_LANGUAGE = LANGUAGES[0]
_BY_CODE = {language.code.lower(): language for language in LANGUAGES}
_current: contextvars.ContextVar[Language] = contextvars.ContextVar("language", default=DEFAULT_LANGUAGE)


def find_language(code: str) -> Language | None:
    code = code.strip().lower().replace("_", "-")
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code in {"zh", "zh-cn", "zh-sg", "zh-hans-cn"}:
        return _BY_CODE["zh-hans"]
    return None


@lru_cache(maxsize=512)
def negotiate(accept_language: str) -> Language:
    """The best of our languages for an Accept-Language header."""
    weighted = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        weighted.append((-quality, index, tag))
    for _quality, _index, tag in sorted(weighted):
        language = find_language(tag) or find_language(tag.split("-")[0])
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


@cache
def translations(language: Language) -> NullTranslations:
    """Compiled in memory from the .po file, so there is no build step to forget."""
    po_path = LOCALE_DIR / language.babel / "LC_MESSAGES" / "messages.po"
    if not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language.babel)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def activate(language: Language) -> contextvars.Token[Language]:
    return _current.set(language)


def deactivate(token: contextvars.Token[Language]) -> None:
    _current.reset(token)


def current_language() -> Language:
    return _current.get()


def current_locale() -> Locale:
    return Locale.parse(current_language().babel)


def gettext(message: str) -> str:
    return translations(current_language()).ugettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return translations(current_language()).ungettext(singular, plural, count)


_ = gettext


# Programme texts in several languages: a table's own column holds the event's default language; the values in
# the others live in its ``translations`` column, {language: {field: text}} (server/agenda/texts.py edits them).
FieldTexts = dict[str, dict[str, str]]


def match_language(wanted: str, offered: Iterable[str]) -> str | None:
    """Which of ``offered`` (an event's language codes) answers ``wanted`` (BCP 47): the same tag, else the same
    primary language ("zh-Hans" finds "zh", "ja-JP" finds "ja"); None when none does."""
    wanted_low = wanted.strip().lower().replace("_", "-")
    offered = list(offered)
    by_low = {code.lower(): code for code in offered}
    if wanted_low in by_low:
        return by_low[wanted_low]
    primary = wanted_low.split("-")[0]
    for code in offered:
        if code.lower().split("-")[0] == primary:
            return code
    return None


_text_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("text_language", default=None)


def read_texts_in(language: str | None) -> contextvars.Token[str | None]:
    """Programme texts in ``language`` rather than the interface's (an export's ``?lang=``); reset the token after."""
    return _text_language.set(language)


def stop_reading_texts_in(token: contextvars.Token[str | None]) -> None:
    _text_language.reset(token)


def localised(item: object, field: str, language: str | None = None) -> str:
    """``item.field`` in the reader's language (the interface's, or ``language``) where the organisers gave one,
    else the default language's value."""
    return localised_value(getattr(item, field, ""), getattr(item, "translations", None), field, language)


def localised_value(default: str, translations: FieldTexts | None, field: str, language: str | None = None) -> str:
    """As ``localised``, from a value and its translations kept apart (a release's change list, say)."""
    if not translations or not isinstance(translations, dict):
        return default
    code = match_language(language or _text_language.get() or current_language().code, list(translations))
    if code is None:
        return default
    return translations[code].get(field) or default
