"""Decoding request payloads: exactly the fields an action takes, each of its declared type."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from typing import Any

from server.errors import InvalidInput
from server.i18n import gettext as _

MAX_PAYLOAD_BYTES = 8 * 1024
MAX_LIST = 20


class Kind(enum.Enum):
    int = "a whole number"
    bool = "true or false"
    text = "text"
    int_or_null = "a whole number or null"
    int_list = "a list of whole numbers"
    text_list = "a list of texts"


@dataclass(frozen=True)
class Field:
    kind: Kind
    required: bool = True


def required(kind: Kind) -> Field:
    return Field(kind)


def optional(kind: Kind) -> Field:
    return Field(kind, required=False)


class TooLarge(InvalidInput):
    pass


def payload_size(payload: Any) -> int:
    try:
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
        return len(text.encode("utf-8", "surrogatepass"))  # a lone surrogate is measured here, dropped by clean_text
    except (TypeError, ValueError):
        return MAX_PAYLOAD_BYTES + 1


def _is_int(value: Any) -> bool:
    # JSON numbers arrive as int; bool is an int in Python but not in the protocol.
    return isinstance(value, int) and not isinstance(value, bool) and -(2**53) < value < 2**53


def _matches(kind: Kind, value: Any) -> bool:
    if kind is Kind.int:
        return _is_int(value)
    if kind is Kind.bool:
        return isinstance(value, bool)
    if kind is Kind.text:
        return isinstance(value, str)
    if kind is Kind.int_or_null:
        return value is None or _is_int(value)
    if kind is Kind.int_list:
        return isinstance(value, list) and len(value) <= MAX_LIST and all(_is_int(item) for item in value)
    return isinstance(value, list) and len(value) <= MAX_LIST and all(isinstance(item, str) for item in value)


def kind_text(kind: Kind) -> str:
    """The kind in the person's language (spelled out here so that the catalogue extraction finds it)."""
    texts = {
        Kind.int: _("a whole number"),
        Kind.bool: _("true or false"),
        Kind.text: _("text"),
        Kind.int_or_null: _("a whole number or null"),
        Kind.int_list: _("a list of whole numbers"),
        Kind.text_list: _("a list of texts"),
    }
    return texts[kind]


def decode(args: tuple[Any, ...], fields: dict[str, Field]) -> dict[str, Any]:
    """The one payload object of a request, checked against ``fields``."""
    if len(args) != 1 or not isinstance(args[0], dict):
        raise InvalidInput(_("A request takes one object as its payload."))
    payload: dict[str, Any] = args[0]
    if payload_size(payload) > MAX_PAYLOAD_BYTES:
        raise TooLarge(_("This request is too large."))
    unknown = sorted(set(payload) - set(fields))
    if unknown:
        raise InvalidInput(_("Unknown field: {name}.").format(name=str(unknown[0])[:40]))
    for name, field in fields.items():
        if name not in payload:
            if field.required:
                raise InvalidInput(_("Missing field: {name}.").format(name=name))
            continue
        if not _matches(field.kind, payload[name]):
            raise InvalidInput(_("The field {name} must be {kind}.").format(name=name, kind=kind_text(field.kind)))
    return payload
