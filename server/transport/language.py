"""Chooses the page language: ``?lang=`` (remembered in a cookie, and on a signed-in person's account so mails
to them are written in it), then the cookie, then Accept-Language."""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import i18n
from server.accounts.services import remember_language
from server.cookies import LANGUAGE_COOKIE, SESSION_COOKIE, chosen_language
from server.i18n import gettext as _
from server.transport.auth import current_account
from server.transport.context import database
from server.transport.errors import error_response

LANGUAGE_COOKIE_AGE = 365 * 24 * 3600


class LanguageMiddleware:
    def __init__(self, app: ASGIApp, *, https: bool = False) -> None:
        self.app = app
        self.secure = "; Secure" if https else ""  # set as the session and CSRF cookies are

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookie_header = accept_language = ""
        for key, value in scope["headers"]:
            if key == b"cookie":
                cookie_header = value.decode("latin-1")
            elif key == b"accept-language":
                accept_language = value.decode("latin-1")
        query = scope.get("query_string", b"")
        asked = parse_qs(query.decode("latin-1")).get("lang", [""])[0] if b"lang=" in query else ""
        language = chosen_language(cookie_header, accept_language)
        remember = False
        if asked:
            asked_language = i18n.find_language(asked)
            if asked_language is None:
                await self._refuse(scope, receive, send, language, asked)
                return
            language, remember = asked_language, True
        scope.setdefault("state", {})["language"] = language
        token = i18n.activate(language)

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                if message["status"] < 400:  # before the answer leaves: the next mail already knows it
                    await remember_on_account(Request(scope), language)
                cookie_value = (
                    f"{LANGUAGE_COOKIE}={language.code}; Path=/; Max-Age={LANGUAGE_COOKIE_AGE}; HttpOnly; "
                    f"SameSite=Lax{self.secure}"
                )
                message.setdefault("headers", []).append((b"set-cookie", cookie_value.encode("latin-1")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            i18n.deactivate(token)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, fallback: i18n.Language, asked: str) -> None:
        """An unknown ``?lang=`` is a 400 page, written in the language the visitor would otherwise get."""
        token = i18n.activate(fallback)
        try:
            known = ", ".join(lang.code for lang in i18n.LANGUAGES)
            message = _("Unknown language '%(language)s'; choose one of: %(known)s.") % {
                "language": asked[:40],
                "known": known,
            }
            response = error_response(Request(scope), 400, message)
            await response(scope, receive, send)
        finally:
            i18n.deactivate(token)


async def remember_on_account(request: Request, language: i18n.Language) -> None:
    """A language chosen by a signed-in person is kept on their account too (the sign-in is known only once the
    page has read the session cookie: this runs as its answer starts, and reuses the account the page found)."""
    if not request.cookies.get(SESSION_COOKIE):
        return
    async with database(request).session() as db:
        account = await current_account(request, db)
        if account is not None:
            await remember_language(db, account=account, language=language)
