"""Chooses the page language: ``?lang=`` (remembered in a cookie), then the cookie, then Accept-Language."""

from __future__ import annotations

from http.cookies import SimpleCookie
from urllib.parse import parse_qs

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server import i18n

COOKIE = "podium_lang"


class LanguageMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in scope["headers"]}
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [""])[0]
        remember = False
        language: i18n.Language | None
        if asked:
            language = i18n.find_language(asked)
            if language is None:
                known = ", ".join(lang.code for lang in i18n.LANGUAGES)
                response = PlainTextResponse(f"Unknown language {asked[:40]!r}; choose one of: {known}.", 400)
                await response(scope, receive, send)
                return
            remember = True
        else:
            cookie = SimpleCookie(headers.get("cookie", ""))
            chosen = cookie.get(COOKIE)
            language = i18n.find_language(chosen.value) if chosen else None
            if language is None:
                language = i18n.negotiate(headers.get("accept-language", ""))
        scope.setdefault("state", {})["language"] = language
        token = i18n.activate(language)

        async def send_with_cookie(message: Message) -> None:
            if remember and message["type"] == "http.response.start":
                cookie_value = f"{COOKIE}={language.code}; Path=/; Max-Age=31536000; SameSite=Lax"
                message.setdefault("headers", []).append((b"set-cookie", cookie_value.encode("latin-1")))
            await send(message)

        try:
            await self.app(scope, receive, send_with_cookie)
        finally:
            i18n._current.reset(token)
