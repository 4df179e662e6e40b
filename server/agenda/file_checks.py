"""The checks of the event file's fields: each takes a value and where it sits in the file, and raises
``EventFileError`` naming the field's path and line, or returns the value ready for a row."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.agenda.located_json import LineDecoder, LocatedArray, LocatedObject
from server.errors import InvalidInput
from server.text import storable
from server.years import YEARS

LONG_TEXT = 20_000  # descriptions, abstracts and biographies: about ten printed pages


class EventFileError(InvalidInput):
    def __init__(self, message: str, *, path: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


def load_json(text: str) -> Any:
    try:
        return LineDecoder().decode(text.removeprefix("\ufeff"))
    except json.JSONDecodeError as err:
        message = f"line {err.lineno}, column {err.colno}: {err.msg.removesuffix(' at')}"
        raise EventFileError(f"This is not valid JSON: {message}", line=err.lineno) from None
    except (ValueError, RecursionError) as err:
        raise EventFileError(f"This is not valid JSON: {err}") from None


@dataclass(frozen=True)
class At:
    """Where a value sits in the file: its path and line, for error messages."""

    path: str
    line: int

    def error(self, message: str) -> EventFileError:
        where = self.path or "the file"
        return EventFileError(f"{where} (line {self.line}): {message}", path=self.path, line=self.line)

    def key(self, obj: dict[str, Any], name: str) -> At:
        lines = obj.lines if isinstance(obj, LocatedObject) else {}
        return At(f"{self.path}.{name}" if self.path else name, lines.get(name, self.line))

    def item(self, array: list[Any], index: int) -> At:
        line = array.lines[index] if isinstance(array, LocatedArray) else self.line
        return At(f"{self.path}[{index}]", line)


def show(value: Any) -> str:
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "an object"
    return json.dumps(value, ensure_ascii=False)


Check = Callable[[Any, At], Any]


def text_field(max_length: int | None = None, *, required: bool = True, pattern: str = "", what: str = "") -> Check:
    """Text, non-blank if ``required``, matching ``pattern`` (described as ``what``) unless optional and empty."""
    compiled = re.compile(pattern) if pattern else None

    def check(value: Any, at: At) -> str:
        if not isinstance(value, str):
            raise at.error(f"expected text, not {show(value)}")
        if not storable(value):
            raise at.error("contains a NUL character (or a lone surrogate), which Podium cannot store")
        if compiled and (value or required) and not compiled.fullmatch(value):
            raise at.error(f"{show(value)} is not {what}")
        if required and not value.strip():
            raise at.error("must not be empty")
        if max_length is not None and len(value) > max_length:
            raise at.error(f"is {len(value)} characters long; {max_length} at most")
        return value

    return check


def parsed_field(regex: str, parse: Callable[[str], Any], what: str) -> Check:
    shape = text_field(pattern=regex, what=what)

    def check(value: Any, at: At) -> Any:
        try:
            parsed = parse(shape(value, at))
        except ValueError:
            raise at.error(f"{show(value)} is not {what}") from None
        if parsed.year not in YEARS:
            raise at.error(f"{show(value)} is outside the years {YEARS[0]} to {YEARS[-1]}")
        return parsed

    return check


def choice_of(choices: list[str]) -> Check:
    def check(value: Any, at: At) -> str:
        if value not in choices:
            raise at.error(f"{show(value)} is not one of {', '.join(choices)}")
        return str(value)

    return check


def capacity_field(value: Any, at: At) -> int:
    if type(value) is not int or not 0 <= value <= 1_000_000:
        raise at.error(f"expected a whole number of seats from 0 to 1000000, not {show(value)}")
    return value


def zone_field(value: Any, at: At) -> str:
    text_field(64)(value, at)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise at.error(f"{show(value)} is not a known time zone; use an IANA name like Asia/Shanghai") from None
    return str(value)


def list_of(item: Check, *, at_least: int = 0) -> Check:
    def check(value: Any, at: At) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise at.error(f"expected a list, not {show(value)}")
        if len(value) < at_least:
            raise at.error(f"needs at least {at_least} entry")
        items = tuple(item(entry, at.item(value, index)) for index, entry in enumerate(value))
        for index, entry in enumerate(items):
            if entry in items[:index]:
                raise at.item(value, index).error(f"{show(entry)} is listed twice")
        return items

    return check
