"""The cookies pages and live rooms both read: the session and the chosen language. Plain header parsing, so
the HTTP middleware and the Socket.IO handshake share it without one importing the other."""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

from server import i18n

SESSION_COOKIE = "podium_session"
LANGUAGE_COOKIE = "podium_lang"
ZONE_COOKIE = "podium_tz"  # the time zone chosen to read times in; absent for the event's own


def cookie_value(cookie_header: str, name: str) -> str:
    """The value of cookie ``name`` in a raw Cookie header; empty when it is missing or the header is malformed."""
    if name not in cookie_header:
        return ""
    try:
        morsel = SimpleCookie(cookie_header).get(name)
    except CookieError:
        return ""
    return morsel.value if morsel is not None else ""


def chosen_language(cookie_header: str, accept_language: str) -> i18n.Language:
    """The language remembered in the cookie, else the best match of the browser's Accept-Language. Pages
    and the live rooms' Socket.IO handshake both choose with this."""
    chosen = cookie_value(cookie_header, LANGUAGE_COOKIE)
    language = i18n.find_language(chosen) if chosen else None
    return language or (i18n.negotiate(accept_language) if accept_language else i18n.DEFAULT_LANGUAGE)
