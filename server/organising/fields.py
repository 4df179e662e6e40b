"""Checking an organiser's form field by field: each check returns the value ready to store, or records why not
under the field's name, so the form comes back with every message beside its field at once."""

from __future__ import annotations

import re
from typing import Any

from server.errors import FieldErrors
from server.i18n import gettext as _
from server.organising.event_input import suggested_slug
from server.text import storable

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
MAX_SEATS = 1_000_000
LONG_TEXT = 20_000


class Fields:
    """One form's values and the messages for those refused; ``done()`` raises FieldErrors if there are any."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def _raw(self, name: str) -> str:
        value = self.values.get(name, "")
        return value.strip() if isinstance(value, str) else ""

    def text(self, name: str, *, max_length: int, required: bool = True) -> str:
        value = self._raw(name)
        if not storable(value):
            self.errors[name] = _("This contains characters Podium cannot accept, such as a NUL byte.")
        elif required and not value:
            self.errors[name] = _("Please fill this in.")
        elif len(value) > max_length:
            self.errors[name] = _("This is %(length)d characters long; %(max)d at most.") % {
                "length": len(value),
                "max": max_length,
            }
        return value

    def slug(self, name: str, *, max_length: int = 64, made_from: str = "") -> str:
        """A slug as typed; left empty, one made from the ``made_from`` field (a person's or a room's name)."""
        if made_from and not self._raw(name) and storable(self._raw(made_from)):
            made = suggested_slug(self._raw(made_from))[:max_length].strip("-")
            if made:
                return made
        value = self.text(name, max_length=max_length).lower()
        if name not in self.errors and not SLUG.fullmatch(value):
            self.errors[name] = _("Use lower-case letters a to z, digits and hyphens, starting with a letter or digit.")
        return value

    def colour(self, name: str, *, required: bool = True) -> str:
        value = self.text(name, max_length=7, required=required).lower()
        if name not in self.errors and (value or required) and not COLOUR.fullmatch(value):
            self.errors[name] = _("Write a colour as # and six hexadecimal digits, like #2f855a.")
        return value

    def whole_number(self, name: str, *, maximum: int) -> int:
        value = self._raw(name) or "0"
        if not value.isascii() or not value.isdigit() or len(value) > 12 or int(value) > maximum:
            self.errors[name] = _("Write a whole number from 0 to %(max)d.") % {"max": maximum}
            return 0
        return int(value)

    def flag(self, name: str) -> bool:
        return self._raw(name) in {"on", "true", "1", "yes"}

    def version(self) -> int:
        value = self._raw("version")
        return int(value) if value.isdigit() and len(value) < 10 else 0

    def refuse(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def done(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors)
