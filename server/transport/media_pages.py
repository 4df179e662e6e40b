"""The stream's pages and the small JSON the stream scripts ask for: the speakers' studio, which publishes over
WHIP; a fresh viewer pass for the room page's WHEP player; the stream's status for moderators.

The relay itself (``realtime/media``) answers WHIP and WHEP; these handlers only decide who may do what and
hand out the relay's bearer tokens.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from realtime.media.tokens import PublishTokens, viewer_pass
from server.accounts.models import Account, Role
from server.accounts.services import Actor
from server.agenda.services import SessionView, load_programme
from server.errors import Forbidden, NotFound
from server.events.models import Event
from server.i18n import gettext as _
from server.live.access import Identity, admit
from server.transport.auth import current_account, current_actor
from server.transport.context import database, event_of, private, settings
from server.transport.live_pages import page_context, session_path
from server.transport.rendering import render

VIEWER_PASS_SECONDS = 10 * 60  # a pass only opens a WHEP session; the player asks for a new one to reconnect
NO_STORE = {"Cache-Control": "no-store"}


def stream_key(view: SessionView) -> str:
    """The relay's name for a session's stream."""
    return str(view.session.id or 0)


def viewer_account(account: Account) -> str:
    """How a viewer pass names an account, so the relay can count streams per account."""
    return f"a{account.id}"


def _same_name(left: str, right: str) -> bool:
    return " ".join(left.split()).casefold() == " ".join(right.split()).casefold()


def speaks_in(actor: Actor, view: SessionView) -> bool:
    """A speaker of this session: the speaker role in the event and the name the agenda gives the speaker.

    Agenda speakers are not linked to accounts, so the account's name is what ties the two.
    """
    if actor.account is None or not actor.has(Role.speaker):
        return False
    name = actor.account.name
    return bool(name.strip()) and any(_same_name(name, person.name) for person in view.speakers)


def may_publish(actor: Actor, view: SessionView) -> bool:
    return actor.has(Role.moderator, Role.organiser) or speaks_in(actor, view)


def publish_token(request: Request, view: SessionView) -> str:
    """The session's WHIP bearer token, derived from the secret key as every relay process derives it."""
    return PublishTokens(settings(request).secret_key).token(stream_key(view))


async def _session(request: Request) -> tuple[Event, SessionView, Account | None, Actor]:
    async with database(request).session() as db:
        event = await event_of(db, request)
        programme = await load_programme(db, event=event)
        view = programme.session(request.path_params["code"])
        account = await current_account(request, db)
        actor = await current_actor(request, db, event)
    return event, view, account, actor


async def studio_page(request: Request) -> Response:
    """Camera and microphone, a preview, Go live and Stop: for this session's speakers, moderators, organisers."""
    event, view, _account, actor = await _session(request)
    if not may_publish(actor, view):
        raise NotFound(_("There is no such page."))
    context = page_context(
        request,
        event,
        view,
        whip_url=f"/whip/{stream_key(view)}",
        publish_token=publish_token(request, view),
        room_url=session_path(event, view) + "/room",
    )
    return private(render(request, "media/studio.html", context))


async def viewer_pass_json(request: Request) -> Response:
    """A fresh viewer pass for someone admitted to the room; the player asks for one on each (re)connection."""
    _event, view, account, _actor = await _session(request)
    if account is None:
        return JSONResponse({"error": _("Please sign in to enter the live room.")}, status_code=401, headers=NO_STORE)
    try:
        async with database(request).session() as db:
            await admit(
                db,
                identity=Identity(account=account),
                session_id=view.session.id or 0,
                secret=settings(request).secret_key,
            )
    except Forbidden as refusal:
        return JSONResponse({"error": refusal.message}, status_code=403, headers=NO_STORE)
    expires_at = int(time.time()) + VIEWER_PASS_SECONDS
    token = viewer_pass(settings(request).secret_key, stream_key(view), viewer_account(account), expires_at=expires_at)
    body: dict[str, Any] = {"url": f"/whep/{stream_key(view)}", "token": token, "expires_at": expires_at}
    return JSONResponse(body, headers=NO_STORE)


async def status_json(request: Request) -> Response:
    """Live or offline, viewers and bitrate when this process holds the relay (``app.state.stream_statuses``),
    and the WHIP address and publish token an encoder needs."""
    _event, view, _account, actor = await _session(request)
    if not actor.has(Role.moderator, Role.organiser):
        raise NotFound(_("There is no such page."))
    key = stream_key(view)
    publishing = {"whip_url": f"/whip/{key}", "publish_token": publish_token(request, view)}
    statuses = getattr(request.app.state, "stream_statuses", None)
    if statuses is None:
        return JSONResponse({"available": False, **publishing}, headers=NO_STORE)
    found = next((status for status in statuses() if status.session_key == key), None)
    body: dict[str, Any] = {
        "available": True,
        "live": False,
        "viewers": 0,
        "bitrate": 0,
        "publisher_state": None,
        **publishing,
    }
    if found is not None:
        body |= {
            "live": found.live,
            "viewers": found.viewers,
            "bitrate": found.bitrate,
            "publisher_state": found.publisher_state,
        }
    return JSONResponse(body, headers=NO_STORE)


routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}/studio", studio_page, methods=["GET"]),
    Route("/{slug}/sessions/{code}/stream/pass", viewer_pass_json, methods=["GET"]),
    Route("/{slug}/sessions/{code}/stream/status", status_json, methods=["GET"]),
]
