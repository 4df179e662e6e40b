"""An organiser's exhibition form, field by field: each value ready to store, or why not under the field's name.
(The organising package's ``Fields`` sits above this layer.)"""

from __future__ import annotations

from typing import Any

from server.errors import FieldErrors
from server.i18n import gettext as _
from server.text import storable


class Form:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.errors: dict[str, str] = {}

    def text(self, name: str, *, max_length: int, required: bool = False) -> str:
        raw = self.values.get(name, "")
        value = raw.strip().replace("\r\n", "\n") if isinstance(raw, str) else ""
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

    def version(self) -> int:
        raw = self.values.get("version", "")
        value = raw.strip() if isinstance(raw, str) else ""
        return int(value) if value.isdigit() and len(value) < 10 else 0

    def refuse(self, name: str, message: str) -> None:
        self.errors.setdefault(name, message)

    def done(self) -> None:
        if self.errors:
            raise FieldErrors(self.errors)
