"""The ASGI application: Starlette for pages, API and exports (Socket.IO joins it in realtime/)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route

from server.app_services import Services
from server.db import Database
from server.mail.delivery import run_delivery
from server.ops import health, metrics
from server.ops.logging import RequestIdMiddleware
from server.rate_limits import installation_buckets
from server.reminders.sending import ReminderScheduler
from server.settings import Settings
from server.streams.relay_control import HttpRelayControl
from server.transport import (
    accounts,
    admin,
    api,
    api_tokens,
    api_write,
    archive_pages,
    backoffice,
    caption_pages,
    channel_plans,
    event_setup,
    exhibition_pages,
    exports,
    hall_pages,
    hls_files,
    imports,
    interpret_pages,
    live_pages,
    live_settings,
    materials_pages,
    media_pages,
    messages,
    pages,
    people_pages,
    phase_pages,
    programme,
    programme_parts,
    recordings,
    registration,
    relay_pages,
    reminder_pages,
    replay_pages,
    replay_player,
    restream_pages,
    staff,
    styleguide,
)
from server.transport.auth import CSRFMiddleware
from server.transport.errors import EXCEPTION_HANDLERS
from server.transport.input_guard import UnstorableAddressMiddleware
from server.transport.language import LanguageMiddleware
from server.transport.security import SecurityHeadersMiddleware
from server.transport.static import PublicFiles
from server.transport.urls import RoutePaths, SiteUrls
from web import NODE_MODULES_DIR, STATIC_DIR


def site_routes() -> list[BaseRoute]:
    """Every route of the site, each named: paths are built from the names (server/transport/urls.py)."""
    return [
        Route("/healthz", health.healthz, name="healthz"),
        # The two busiest pages first: every route tried before a match costs a regex on each request.
        *pages.front_routes,
        Route("/readyz", health.readyz, name="readyz"),
        Route("/metrics", metrics.metrics_endpoint, name="metrics"),
        Mount("/static/vendor", PublicFiles(directory=NODE_MODULES_DIR, check_dir=False), name="vendor"),
        Mount("/static", PublicFiles(directory=STATIC_DIR), name="static"),
        *hls_files.routes,
        *api.routes,
        *api_write.routes,
        *accounts.routes,
        *admin.routes,
        *event_setup.routes,
        *registration.routes,
        *backoffice.routes,
        *relay_pages.routes,
        *imports.routes,
        *api_tokens.routes,
        *programme_parts.routes,
        *people_pages.routes,
        *materials_pages.routes,
        *programme.routes,
        *messages.routes,
        *staff.routes,
        *styleguide.routes,
        *live_settings.routes,
        *exports.routes,
        *live_pages.routes,
        *caption_pages.routes,
        *replay_player.routes,
        *hall_pages.routes,
        *media_pages.routes,
        *interpret_pages.routes,
        *channel_plans.routes,
        *recordings.routes,
        *restream_pages.routes,
        *archive_pages.routes,
        *reminder_pages.routes,
        *exhibition_pages.routes,
        *replay_pages.routes,
        *phase_pages.routes,
        *pages.routes,
    ]


def site_urls(base_url: str) -> SiteUrls:
    """The site's absolute addresses without a running app: for the command line (mail sent by ``load-demo``)."""
    return SiteUrls(RoutePaths(site_routes()), base_url)


def create_app(
    settings: Settings | None = None, database: Database | None = None, *, deliver_mail: bool = True
) -> Starlette:
    settings = settings or Settings.from_env()
    database = database or Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        delivery = asyncio.create_task(run_delivery(database, settings)) if deliver_mail else None
        scheduling = asyncio.create_task(services.recording_scheduler.run())
        reminding = asyncio.create_task(services.reminder_scheduler.run()) if services.reminder_scheduler else None
        yield
        for task in (delivery, scheduling, reminding):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await services.rate_limits.close()
        await database.dispose()

    routes = site_routes()
    middleware = [
        Middleware(RequestIdMiddleware, observe=metrics.observe_request),
        Middleware(SecurityHeadersMiddleware, https=settings.base_url.startswith("https://")),
        Middleware(LanguageMiddleware, https=settings.base_url.startswith("https://")),
        Middleware(CSRFMiddleware, https=settings.base_url.startswith("https://")),
        Middleware(UnstorableAddressMiddleware),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    services = Services(
        settings=settings,
        database=database,
        rate_limits=installation_buckets(settings.redis_url, database_url=settings.database_url),
        relay_control=(
            HttpRelayControl(settings.relay_url, settings.secret_key, live_urls=settings.relay_live_urls)
            if settings.relay_url
            else None
        ),
    )
    services.reminder_scheduler = ReminderScheduler(
        database, links=SiteUrls(RoutePaths(routes), settings.base_url), subject=reminder_pages.vapid_subject(settings)
    )
    app.state.services = services
    return app
