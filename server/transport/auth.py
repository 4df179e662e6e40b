"""Who is asking: the session cookie, the actor in an event, CSRF tokens for every form."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.accounts.actors import Actor
from server.accounts.models import Account
from server.accounts.services import authenticate
from server.app_services import services_of
from server.cookies import SESSION_COOKIE, cookie_value
from server.errors import Forbidden, InvalidInput
from server.events.models import Event
from server.i18n import gettext as _
from server.registration.roles import actor_in
from server.text import storable

CSRF_COOKIE = "podium_csrf"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 64 * 1024


def set_private_cookie(request: Request, response: Response, name: str, value: str, *, max_age: int) -> None:
    """A cookie no script reads, sent back to this site only (``Secure`` under HTTPS)."""
    secure = bool(services_of(request.app).settings.base_url.startswith("https://"))
    response.set_cookie(name, value, max_age=max_age, httponly=True, secure=secure, samesite="lax", path="/")


def set_session_cookie(request: Request, response: Response, token: str, *, max_age: int) -> None:
    set_private_cookie(request, response, SESSION_COOKIE, token, max_age=max_age)


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


async def current_account(request: Request, db: AsyncSession) -> Account | None:
    """Read once per request; a forged, expired or revoked cookie is simply nobody."""
    if "account" not in request.state._state:
        token = request.cookies.get(SESSION_COOKIE, "")
        request.state.account = await authenticate(db, session_token=token) if token else None
    account: Account | None = request.state.account
    return account


async def current_actor(request: Request, db: AsyncSession, event: Event, session_id: int | None = None) -> Actor:
    """The asking account's roles in the event (and, for a session's pages, in that session)."""
    return await actor_in(db, account=await current_account(request, db), event=event, session_id=session_id)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


class CSRFToken:
    """The browser's CSRF token, made only when a page renders a form: pages without one (the cached
    agenda) neither pay for a random token nor set a cookie."""

    def __init__(self, existing: str | None) -> None:
        self._value = existing
        self.issued = False

    def __str__(self) -> str:
        if self._value is None:
            self._value = secrets.token_urlsafe(32)
            self.issued = True
        return self._value


class CSRFMiddleware:
    """Gives a browser a random CSRF cookie when a page first shows it a form; forms echo it in a hidden
    field (double submit), and ``checked_form`` compares the two. SameSite=Lax on both cookies closes the rest."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.secure = "; Secure" if https else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        existing = None
        for key, value in scope["headers"]:
            if key == b"cookie":
                candidate = cookie_value(value.decode("latin-1"), CSRF_COOKIE)
                if 20 <= len(candidate) <= 100:
                    existing = candidate
        token = CSRFToken(existing)
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_cookie(message: Message) -> None:
            if token.issued and message["type"] == "http.response.start":
                value = f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{self.secure}"
                message.setdefault("headers", []).append((b"set-cookie", value.encode("latin-1")))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


async def checked_form(
    request: Request,
    *,
    max_bytes: int = MAX_FORM_BYTES,
    max_files: int = 0,
    max_fields: int = 100,
    by_field: bool = False,
) -> FormData:
    """The posted form, after the CSRF check and a size limit; refuses before anything is written.
    ``by_field`` leaves unstorable text (a NUL byte) to the form's own checks, which name the field; a form with
    a checkbox per row (a bulk edit) may allow more fields."""
    form = await posted_form(request, max_bytes=max_bytes, max_files=max_files, max_fields=max_fields)
    if by_field:
        return form
    if not all(storable(key) and (not isinstance(value, str) or storable(value)) for key, value in form.multi_items()):
        raise InvalidInput(_("The form contains characters Podium cannot accept, such as a NUL byte."))
    return form


async def posted_form(
    request: Request, *, max_bytes: int = MAX_FORM_BYTES, max_files: int = 0, max_fields: int = 100
) -> FormData:
    """The posted form after the size limit and the CSRF check, its text as sent: for forms whose service checks
    each field and names the one holding a NUL byte beside it. A form with a file (``max_files``) must say its
    length, so an upload over ``max_bytes`` is refused before it is read."""
    length = request.headers.get("content-length")
    if (length is None and max_files) or (length is not None and (not length.isdigit() or int(length) > max_bytes)):
        raise InvalidInput(_("The form is too large."))
    form = await request.form(max_files=max_files, max_fields=max_fields, max_part_size=max_bytes)
    try:
        check_csrf(request, form)
    except Forbidden:
        await form.close()  # an uploaded file's temporary copy
        raise
    return form


def check_csrf(request: Request, form: FormData) -> None:
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not isinstance(sent, str) or not cookie or not hmac.compare_digest(sent, cookie):
        raise Forbidden(_("This form has expired. Please go back, reload the page and try again."))


def form_text(form: FormData, name: str) -> str:
    value: Any = form.get(name, "")
    return value if isinstance(value, str) else ""
