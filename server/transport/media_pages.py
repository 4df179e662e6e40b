"""The stream's pages and the small JSON the stream scripts ask for: the speakers' studio, which publishes over
WHIP; a fresh viewer pass for the room page's WHEP player and the hall's listening page (the floor, or with
``?channel=ja`` an interpretation channel); the stream's status for moderators.

The relay itself (``realtime/media``) answers WHIP and WHEP; these handlers only decide who may do what and
hand out the relay's bearer tokens.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from server.accounts.models import Account
from server.agenda.services import SessionView
from server.clock import utcnow
from server.errors import Forbidden, NotFound
from server.formats import language_name
from server.i18n import gettext as _
from server.interpretation.channels import running_channels
from server.live.access import Unauthorised, admit, identify
from server.live.guests import GUEST_COOKIE, read_guest_card
from server.relays.services import place_viewer
from server.restreams.services import state_json, targets_of
from server.streams.channels import channel_key, floor_key
from server.streams.hls import playlist_url
from server.streams.keys import publish_key, rotate_publish_key
from server.streams.recordings import recording_of
from server.streams.rules import can_publish, can_rotate_token, can_see_stream, can_stop_stream
from server.streams.tokens import viewer_pass
from server.transport.auth import checked_form
from server.transport.context import database, private, see_other, services, settings
from server.transport.live_pages import page_context
from server.transport.loaders import SessionPage, load_session_page, requires
from server.transport.recordings import recording_json, relay_control, relay_status
from server.transport.rendering import render
from server.transport.throttle import throttle
from server.transport.urls import relay_path, session_path, with_query

VIEWER_PASS_SECONDS = 10 * 60  # a pass only opens a WHEP session; the player asks for a new one to reconnect
NO_STORE = {"Cache-Control": "no-store"}


def stream_key(view: SessionView) -> str:
    """The relay's name for a session's stream."""
    return str(view.session.id or 0)


def viewer_account(account: Account) -> str:
    """How a viewer pass names an account, so the relay can count streams per account."""
    return f"a{account.id}"


async def publish_token(request: Request, view: SessionView) -> str:
    """The session's WHIP bearer token now: the secret key and the generation stored for the session."""
    async with database(request).session() as db:
        key = await publish_key(db, secret=settings(request).secret_key, session_id=view.session.id or 0)
    return key.token


@requires(can_publish, load_session_page)
async def studio_page(request: Request, page: SessionPage) -> Response:
    """Camera and microphone, a preview, Go live and Stop: for this session's speakers, moderators, organisers."""
    event, view = page.event, page.view
    context = page_context(
        request,
        event,
        view,
        whip_url=relay_path("whip", stream_key(view)),
        publish_token=await publish_token(request, view),
        room_url=session_path(request, "room", event, view),
    )
    return private(render(request, "media/studio.html", context))


# The player names the relay it just failed to reach (the pass's "relay"): the next pass sends it elsewhere if it can,
# even before that relay's heartbeat goes stale.
AVOID_PARAMETER = "avoid"
ROOM_TOKEN_HEADER = "X-Room-Token"  # noqa: S105 (a header name, not a secret); the hall's listening page sends the room token of its QR page
MAX_SHOWN_CODE = 20  # of a language code someone typed, shown back in a refusal


def _refusal(message: str, status_code: int) -> Response:
    return JSONResponse({"error": message}, status_code=status_code, headers=NO_STORE)


async def viewer_pass_json(request: Request) -> Response:
    """A fresh viewer pass for someone admitted to the room; the player asks for one on each (re)connection.
    ``?channel=ja`` asks for the session's interpretation into Japanese, which must be running. Who may listen
    is who may watch: the room's own rule (``admit``), as the live room applies it on ``join``; a guest in the
    hall (their guest cookie and the room token of the hall page) may listen to the channels of that room only.
    The pass names the account (``a12``) or the guest (``g…``), so the relay's limit per person holds. Its WHEP
    address is the relay the registry chooses (server/relays: the least loaded that carries the key or can pull it),
    named in ``"relay"``; ``?avoid=<relay>`` passes over the one the player just failed to reach."""
    page = await load_session_page(request)
    event, view, account = page.event, page.view, page.actor.account
    secret = settings(request).secret_key
    session_id = view.session.id or 0
    channel = request.query_params.get("channel", "")
    card = None if account is not None else read_guest_card(secret, request.cookies.get(GUEST_COOKIE, ""))
    room_token = request.headers.get(ROOM_TOKEN_HEADER, "")
    if account is None and (card is None or not room_token):
        return _refusal(_("Please sign in to enter the live room."), 401)
    if account is None and not channel:
        return _refusal(_("Guests in the hall can listen to the interpretation; please sign in to watch."), 403)
    try:
        async with database(request).session() as db:
            identity = await identify(
                db,
                secret=secret,
                account=account,
                room_token=room_token,
                remembered=(card.guest_id, card.name) if card is not None else None,
            )
            await admit(db, identity=identity, session_id=session_id, secret=secret)
            running = await running_channels(db, event=event, session=view.session) if channel else []
    except Unauthorised as refusal:
        return _refusal(str(refusal), 401)
    except Forbidden as refusal:
        return _refusal(refusal.message, 403)
    except NotFound as refusal:
        return _refusal(refusal.message, 404)
    key = floor_key(session_id)
    if channel:
        if channel not in event.language_list:
            message = _("This event offers no interpretation into “%(language)s”.")
            return _refusal(message % {"language": channel[:MAX_SHOWN_CODE]}, 400)
        if channel not in running:
            message = _("There is no interpretation into %(language)s in this session.")
            return _refusal(message % {"language": language_name(channel)}, 404)
        key = channel_key(session_id, channel)
    expires_at = int(time.time()) + VIEWER_PASS_SECONDS
    holder = viewer_account(account) if account is not None else identity.key
    token = viewer_pass(secret, key, holder, expires_at=expires_at)
    async with database(request).session() as db:
        placement = await place_viewer(
            db,
            key,
            now=utcnow(),
            dead_after=settings(request).relay_dead_after,
            avoid=request.query_params.get(AVOID_PARAMETER, "")[:100],
        )
    # The chosen relay's address for browsers (relative when it is the site's own); without a registered relay
    # that carries or can pull the key (one process, or nobody publishes yet), the site's /whep/ as nginx routes it.
    relay = placement.relay if placement is not None else None
    url = (relay.public_url if relay is not None else "") + relay_path("whep", key)
    body: dict[str, Any] = {
        "url": url,
        "token": token,
        "expires_at": expires_at,
        "relay": relay.name if relay is not None else None,
        # Every relay that could take this viewer is full or CPU-bound: the player goes to HLS rather than wait.
        "full": placement is not None and placement.crowded,
    }
    # The session's HLS for players WebRTC cannot reach (the floor only: a channel is audio over WebRTC).
    body["hls"] = playlist_url(secret, key) if settings(request).hls and not channel else None
    return JSONResponse(body, headers=NO_STORE)


@requires(can_see_stream, load_session_page, page=False)
async def status_json(request: Request, page: SessionPage) -> Response:
    """Live or offline, viewers and bitrate, or the recording's position while it plays, from the relay
    (``Services.relay_control``: the embedded one or a relay process); the session's recording; and the WHIP
    address and publish token an encoder needs."""
    view = page.view
    key = stream_key(view)
    publishing: dict[str, Any] = {
        "whip_url": relay_path("whip", key),
        "publish_token": await publish_token(request, view),
    }
    async with database(request).session() as db:
        recording = await recording_of(db, event=page.event, session_id=page.session_id)
        targets = await targets_of(db, event=page.event, session_id=page.session_id)
    publishing["recording"] = recording_json(recording)
    # Each restream target's state and bitrate as its relay last wrote them (keys masked): known even when the
    # relay runs in another process.
    publishing["restreams"] = [state_json(target, settings(request).secret_key) for target in targets]
    found = await relay_status(request, key)
    if found is None:
        return JSONResponse({"available": False, **publishing}, headers=NO_STORE)
    body: dict[str, Any] = {
        "available": True,
        "live": found.get("live", False),
        "viewers": found.get("viewers", 0),
        "bitrate": found.get("bitrate", 0),
        "publisher_state": found.get("publisher_state"),
        "mode": found.get("mode"),  # "playback" while the recording plays
        "position": found.get("position"),
        "duration": found.get("duration"),
        # The relay's own recording of the stream (realtime/media/recorder.py): recording, stopped, off, disk_full,
        # failed, or None when this relay records nothing; bytes written by the relay process, and why it stopped.
        "relay_recording": {
            "state": found.get("recording"),
            "bytes": found.get("recording_bytes", 0),
            "message": found.get("recording_message", ""),
        },
        **publishing,
    }
    return JSONResponse(body, headers=NO_STORE)


ROTATIONS_PER_MINUTE = 6  # per person, over every session; one session also waits between rotations (keys.py)


@requires(can_rotate_token, load_session_page)
async def rotate_token(request: Request, page: SessionPage) -> Response:
    """Rotate the session's publish token (moderators, organisers): encoders holding the old one are refused on
    their next connection; one publishing now goes on until it stops (organisers can stop it)."""
    await checked_form(request)
    event, view, actor = page.event, page.view, page.actor
    if actor.account is not None:
        await throttle(services(request), "rotate_token", ROTATIONS_PER_MINUTE).check(f"a{actor.account.id}")
    async with database(request).session() as db:
        await rotate_publish_key(
            db, actor=actor, event=event, session_id=view.session.id or 0, secret=settings(request).secret_key
        )
    return see_other(session_path(request, "moderate", event, view) + "#stream-panel")


STOPS_PER_MINUTE = 10  # per person


@requires(can_stop_stream, load_session_page)
async def stop_stream(request: Request, page: SessionPage) -> Response:
    """An organiser ends the stream: the relay disconnects its publisher, viewers see it go offline. The encoder
    may come back with the same token; rotate the token to keep it out."""
    await checked_form(request)
    event, view, actor = page.event, page.view, page.actor
    await throttle(services(request), "stop_stream", STOPS_PER_MINUTE).check(
        f"a{actor.account.id if actor.account else 0}"
    )
    control = relay_control(request)
    stopped = control is not None and await control.stop(stream_key(view))
    return see_other(
        with_query(session_path(request, "moderate", event, view), stream="stopped" if stopped else "none")
    )


routes: list[BaseRoute] = [
    Route("/{slug}/sessions/{code}/stream/token", rotate_token, methods=["POST"], name="stream_token"),
    Route("/{slug}/sessions/{code}/stream/stop", stop_stream, methods=["POST"], name="stream_stop"),
    Route("/{slug}/sessions/{code}/studio", studio_page, methods=["GET"], name="studio"),
    Route("/{slug}/sessions/{code}/stream/pass", viewer_pass_json, methods=["GET"], name="stream_pass"),
    Route("/{slug}/sessions/{code}/stream/status", status_json, methods=["GET"], name="stream_status"),
]
