"""Email addresses as people type them: trimmed, lower-cased, checked for a plausible shape."""

from __future__ import annotations

import re

from server.errors import InvalidInput
from server.i18n import gettext as _

# Deliberately simple: one @, a dot in the domain, no spaces. The emailed link proves the rest.
_EMAIL = re.compile(
    r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$"
)
MAX_EMAIL = 254


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if not email:
        raise InvalidInput(_("Please enter your email address."))
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidInput(_("This is not a valid email address."))
    return email
