"""Structured logs: one JSON object a line, each carrying the id of the HTTP request it belongs to.

The id comes from the reverse proxy's ``X-Request-ID`` (nginx sets it to ``$request_id`` and logs it too), or is
made here; it travels in a context variable, so every log line written while the request runs carries it, and it
goes back to the client in the response's ``X-Request-ID``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
_ACCEPTED_ID = re.compile(rb"^[A-Za-z0-9._:-]{8,128}$")
# Paths that carry a secret (sign-in links, private calendar feeds) are logged without it.
_SECRET_PATHS = [
    (re.compile(r"^/signin/[^/]+$"), "/signin/…"),
    (re.compile(r"^(/[^/]+/agenda/)[^/]+(\.ics)$"), r"\1…\2"),
]
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}

request_id: ContextVar[str | None] = ContextVar("podium_request_id", default=None)
access_log = logging.getLogger("podium.access")

RequestObserver = Callable[[str, int, float], None]  # method, status, seconds


def current_request_id() -> str | None:
    return request_id.get()


def loggable_path(path: str) -> str:
    for pattern, replacement in _SECRET_PATHS:
        if pattern.match(path):
            return pattern.sub(replacement, path)
    return path


def _incoming_id(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == HEADER and _ACCEPTED_ID.match(value):
            return str(value.decode("ascii"))
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Pure ASGI: takes or makes the request id, sets it for the request's task, answers with it, and logs one
    access line per HTTP request (method, path without query, status, duration)."""

    def __init__(self, app: ASGIApp, *, observe: RequestObserver | None = None) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        rid = _incoming_id(scope)
        token = request_id.set(rid)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((HEADER, rid.encode("ascii")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if scope["type"] == "http":
                seconds = time.perf_counter() - started
                method = scope.get("method", "")
                access_log.info(
                    "%s %s %d",
                    method,
                    loggable_path(scope.get("path", "")),
                    status,
                    extra={"status": status, "duration_ms": round(seconds * 1000, 1)},
                )
                if self.observe is not None:
                    self.observe(method, status, seconds)
            request_id.reset(token)


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extra fields, "exception"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id.get()
        if rid is not None:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The plain format for a terminal, with the request id when there is one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = request_id.get()
        return f"{line} [{rid}]" if rid else line


def configure_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    """One handler on the root logger, to standard error (journald or docker collects it). Pass uvicorn
    ``log_config=None`` and ``access_log=False`` so its loggers go through here and the access log is ours."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
