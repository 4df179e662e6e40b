"""The ASGI application: Starlette for pages, API and exports (Socket.IO joins it in realtime/)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from server.db import Database
from server.settings import Settings
from server.transport import api, exports, pages
from server.transport.errors import EXCEPTION_HANDLERS
from server.transport.language import LanguageMiddleware
from server.transport.security import SecurityHeadersMiddleware
from web import NODE_MODULES_DIR, STATIC_DIR


async def healthz(_request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(settings: Settings | None = None, database: Database | None = None) -> Starlette:
    settings = settings or Settings.from_env()
    database = database or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        await database.dispose()

    routes: list[BaseRoute] = [
        Route("/healthz", healthz),
        Mount("/static/vendor", StaticFiles(directory=NODE_MODULES_DIR, check_dir=False), name="vendor"),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        *api.routes,
        *exports.routes,
        *pages.routes,
    ]
    middleware = [
        Middleware(SecurityHeadersMiddleware, https=settings.base_url.startswith("https://")),
        Middleware(LanguageMiddleware),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    return app
