"""Languages: gettext catalogues (Babel) chosen per request and read through a context variable."""

from __future__ import annotations

import contextlib
import contextvars
import io
from collections.abc import Iterable, Iterator
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


# Other tags for our languages: Chinese without a script is read as Simplified where it is spoken so (mainland,
# Singapore, Malaysia); "in" is Indonesian's code before ISO 639 renamed it (old Java and Android still send it).
_ALIASES = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-my": "zh-hans",
    "in": "id",
}


def find_language(code: str) -> Language | None:
    """Our language for a BCP 47 tag: exactly, by an alias, or by its first subtag with a region or variant after
    it (ja-JP, ko-KR, id-ID, in-ID, ar-EG, ar-SA, en-GB). Chinese keeps its script: zh-Hans-CN is Simplified,
    zh-Hant and zh-TW are none of ours."""
    code = code.strip().lower().replace("_", "-")
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code in _ALIASES:
        return _BY_CODE[_ALIASES[code]]
    first, _, rest = code.partition("-")
    if not rest:
        return None
    if first == "zh":
        return _BY_CODE["zh-hans"] if rest.split("-")[0] == "hans" else None
    return find_language(first)


@lru_cache(maxsize=512)
def negotiate(accept_language: str) -> Language:
    """The best of our languages for an Accept-Language header; a language weighted q=0 is refused, and any other
    Chinese (zh-TW, zh-Hant) still gets Simplified rather than English."""
    weighted = []
    for index, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if quality > 0:
            weighted.append((-quality, index, tag))
    for _quality, _index, tag in sorted(weighted):
        language = find_language(tag) or find_language(tag.strip().split("-")[0])
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


@contextlib.contextmanager
def speaking(*codes: str) -> Iterator[Language]:
    """Writes in the first of ``codes`` that names one of our languages (a mail's recipient's choices, most
    telling first; "" skipped), else English: the texts, dates and numbers made inside follow it."""
    found = (find_language(code) for code in codes if code)
    language = next((each for each in found if each is not None), DEFAULT_LANGUAGE)
    token = activate(language)
    try:
        yield language
    finally:
        deactivate(token)


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
