"""A delegate's page opened while signed out: it asks to sign in (coming back here afterwards) and, while the event
takes registrations, says that registering comes first for those who have not."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from server.events.models import Event
from server.registration.configuration import Window, registration_settings, window
from server.transport.context import here, private
from server.transport.rendering import render


async def sign_in_prompt(request: Request, db: AsyncSession, event: Event, next_path: str | None = None) -> Response:
    settings = await registration_settings(db, event=event)
    context = {"event": event, "next": next_path or here(request), "registration_open": window(settings) == Window.open}
    return private(render(request, "registration/signin_needed.html", context))
