"""ISO 3166-1 alpha-2 countries, named in the reader's language by Babel's CLDR data."""

from __future__ import annotations

from functools import cache

from babel import Locale

from server.i18n import current_locale

NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}


NOT_COUNTRIES = {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"}


@cache
def _codes() -> frozenset[str]:
    # CLDR also lists regions ("001", "150") and groupings; keep the ISO alpha-2 countries.
    codes = [str(code) for code in Locale("en").territories]
    return frozenset(code for code in codes if len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES)


def is_country(code: str) -> bool:
    return code.upper() in _codes()


def country_name(code: str) -> str:
    return current_locale().territories.get(code.upper(), code)


def countries() -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name in the reader's language."""
    return _sorted_countries(str(current_locale()))


@cache
def _sorted_countries(locale: str) -> list[tuple[str, str]]:
    names = Locale.parse(locale).territories
    return sorted(((code, names.get(code, code)) for code in _codes()), key=lambda pair: pair[1])
