"""One-shot notices after a write: the handler that redirects leaves one ("Added to your agenda"), and the next page
rendered for that browser shows it once and clears it (POST, redirect, GET).

The notice travels in a short-lived, signed, HttpOnly cookie rather than in a database row: it works for signed-out
visitors too, costs no query, and nobody can plant text in it (the signature). A notice may name a ``target`` (the id
of the element it is about: a session's row) so the page shows it next to the action, and may offer one ``action``:
a button that posts to a path of this site ("Undo", "Join the waitlist").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from server.accounts.services import safe_next_path
from server.app_services import services_of

NOTICE_COOKIE = "podium_notice"
NOTICE_LIFETIME = 120  # seconds: long enough for the redirect, short enough not to surprise later
UPLOAD_HEADER = "x-podium-upload"  # sent by web/static/common/upload.js
KINDS = frozenset({"info", "success", "error", "warning"})


@dataclass(frozen=True)
class NoticeAction:
    """A button the notice offers: posts ``fields`` (and the CSRF token) to ``path``."""

    label: str
    path: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    message: str
    kind: str = "success"
    target: str = ""
    action: NoticeAction | None = None


def _serializer(request: Request) -> URLSafeSerializer:
    return URLSafeSerializer(services_of(request.app).settings.secret_key, salt="podium-notice")


def _https(request: Request) -> bool:
    return bool(services_of(request.app).settings.base_url.startswith("https://"))


def leave_notice(request: Request, response: Response, notice: Notice) -> Response:
    """Sets ``notice`` for the next page this browser sees; returns ``response`` (a redirect, usually)."""
    data: dict[str, Any] = {"m": notice.message[:500], "k": notice.kind if notice.kind in KINDS else "info"}
    if notice.target:
        data["t"] = notice.target[:100]
    if notice.action is not None:
        data["a"] = [notice.action.label[:100], notice.action.path, notice.action.fields]
    response.set_cookie(
        NOTICE_COOKIE,
        _serializer(request).dumps(data),
        max_age=NOTICE_LIFETIME,
        httponly=True,
        secure=_https(request),
        samesite="lax",
        path="/",
    )
    return response


def _read(request: Request) -> Notice | None:
    raw = request.cookies.get(NOTICE_COOKIE, "")
    if not raw or len(raw) > 4000:
        return None
    try:
        data = _serializer(request).loads(raw)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("m"), str):
        return None
    action = None
    if isinstance(data.get("a"), list) and len(data["a"]) == 3:
        label, path, fields = data["a"]
        action = NoticeAction(label=str(label), path=safe_next_path(str(path)), fields=dict(fields))
    return Notice(message=data["m"], kind=str(data.get("k", "info")), target=str(data.get("t", "")), action=action)


def take_notice(request: Request) -> Notice | None:
    """The notice left for this browser, read once per request (the page renders it; ``clear_taken`` forgets it)."""
    state = request.state._state
    if request.headers.get(UPLOAD_HEADER):
        return None  # an upload's script loads the answer again to show it: the notice waits for that
    if "notice" not in state:
        state["notice"] = _read(request) if NOTICE_COOKIE in request.cookies else None
    notice: Notice | None = state["notice"]
    return notice


def clear_taken(request: Request, response: Response) -> None:
    """After a page showed the notice: the cookie goes, so reloading the page does not show it again."""
    if NOTICE_COOKIE in request.cookies and not request.headers.get(UPLOAD_HEADER):
        response.delete_cookie(NOTICE_COOKIE, path="/")


def mark_answer(request: Request, response: Response) -> None:
    """Tells an upload's script whether the page it got is the GET after a redirect (loaded again, with its
    notice) or the answer to the POST itself (a refusal to show as it is)."""
    if request.headers.get(UPLOAD_HEADER):
        response.headers["x-podium-page"] = request.method
