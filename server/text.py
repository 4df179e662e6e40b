"""Text the databases can store: PostgreSQL's ``text`` holds no NUL character, and UTF-8 no lone surrogate.

Every way text comes in (addresses, forms, uploads' names, event files) is checked against this one rule,
so such input is refused with a message instead of failing in the database."""

from __future__ import annotations

import re

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> bool:
    return UNSTORABLE.search(text) is None
