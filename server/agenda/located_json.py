"""JSON that remembers the line each object and array starts on, so errors can point at it."""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable
from json.decoder import JSONArray, JSONObject  # type: ignore[attr-defined]
from json.scanner import py_make_scanner  # type: ignore[attr-defined]
from typing import Any

Scan = Callable[[str, int], tuple[Any, int]]


class LocatedObject(dict[str, Any]):
    """A JSON object that knows the line each of its values starts on."""

    lines: dict[str, int]


class LocatedArray(list[Any]):
    lines: list[int]


class LineDecoder(json.JSONDecoder):
    """The stdlib's pure-Python decoder, with objects and arrays that note where their values start."""

    def __init__(self) -> None:
        super().__init__()
        self.parse_object = self._object
        self.parse_array = self._array
        self.scan_once = py_make_scanner(self)  # the C scanner would not call the two above
        self._newlines: list[int] = []

    def decode(self, s: str, *args: Any) -> Any:
        self._newlines = [match.start() for match in re.finditer("\n", s)]
        return super().decode(s, *args)

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1

    @staticmethod
    def _noting(scan_once: Scan, starts: list[int]) -> Scan:
        def scan(s: str, pos: int) -> tuple[Any, int]:
            starts.append(pos)
            return scan_once(s, pos)

        return scan

    def _object(
        self, s_and_end: tuple[str, int], strict: bool, scan_once: Scan, *hooks_and_memo: Any
    ) -> tuple[Any, int]:
        starts: list[int] = []
        pairs, end = JSONObject(s_and_end, strict, self._noting(scan_once, starts), None, list, hooks_and_memo[-1])
        obj = LocatedObject()
        obj.lines = {}
        for (key, value), start in zip(pairs, starts, strict=True):
            if key in obj:
                raise json.JSONDecodeError(f"Duplicate key {json.dumps(key, ensure_ascii=False)}", s_and_end[0], start)
            obj[key], obj.lines[key] = value, self.line(start)
        return obj, end

    def _array(self, s_and_end: tuple[str, int], scan_once: Scan) -> tuple[Any, int]:
        starts: list[int] = []
        items, end = JSONArray(s_and_end, self._noting(scan_once, starts))
        array = LocatedArray(items)
        array.lines = [self.line(start) for start in starts]
        return array, end
