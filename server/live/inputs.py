"""Checks of the text people type into live rooms. Text stays text: nothing here renders HTML."""

from __future__ import annotations

import re
import unicodedata

from server.errors import InvalidInput
from server.i18n import gettext as _

CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


def clean_text(text: str, *, limit: int, minimum: int = 1) -> str:
    """Trimmed, without control characters (line breaks kept) or lone surrogates (no database stores them),
    within ``minimum``..``limit`` characters."""
    kept = "".join(char for char in text if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cs"))
    kept = kept.strip()
    if len(kept) < minimum:
        raise InvalidInput(_("Please write something first."))
    if len(kept) > limit:
        raise InvalidInput(_("Please keep it under {limit} characters.").format(limit=limit))
    return kept


def check_client_id(client_id: str) -> str:
    if not CLIENT_ID.fullmatch(client_id):
        raise InvalidInput(_("client_id must be 8 to 64 letters, digits, '-' or '_'."))
    return client_id
