"""The relay's names for a session's streams: the floor is the session's id ("12"); each interpretation channel
is the id and the channel's language ("12_ja", "12_zh-Hans"). Every part of Podium builds and reads them here."""

from __future__ import annotations

import re

# A language code as events store them (BCP 47: letters, digits and hyphens).
LANGUAGE_CODE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
_SEPARATOR = "_"


def floor_key(session_id: int) -> str:
    return str(session_id)


def channel_key(session_id: int, language: str) -> str:
    """The stream of ``session_id``'s interpretation into ``language``."""
    if not LANGUAGE_CODE.fullmatch(language):
        raise ValueError(f"not a language code: {language!r}")
    return f"{session_id}{_SEPARATOR}{language}"


def parse_stream_key(key: str) -> tuple[int, str | None] | None:
    """(session id, channel language or None for the floor), or None for a name Podium never hands out."""
    session, separator, language = key.partition(_SEPARATOR)
    if not session.isdigit() or len(session) >= 19:
        return None
    if not separator:
        return int(session), None
    if not LANGUAGE_CODE.fullmatch(language):
        return None
    return int(session), language
