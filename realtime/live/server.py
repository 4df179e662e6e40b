"""The Socket.IO server of live rooms: handshake, join, dispatch of requests to their handlers, and the
``Broadcaster`` that services' changes go out through (PROTOCOL.md)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import socketio

from realtime.live.actions import Action, Call, Connection
from realtime.live.captions import leave_captions
from realtime.live.coalescer import Coalescer
from realtime.live.limits import PersonLimits
from realtime.live.packets import BoundedPacket
from realtime.live.payloads import TooLarge, decode
from realtime.live.person_rooms import PersonRooms, SharedPersonRooms
from realtime.live.presence import Presence
from realtime.live.revocations import RevocationWatcher
from realtime.live.sioserver import LiveSocketServer, foreign_origin
from server.accounts.session_lookup import signed_in_account
from server.accounts.tokens import token_hash
from server.broadcast import CountsChanged, Message, Outcome
from server.cookies import SESSION_COOKIE, chosen_language, cookie_value
from server.db import Database
from server.errors import Conflict, Forbidden, InvalidInput, NotFound, PodiumError, RateLimited
from server.i18n import Language, activate, deactivate
from server.i18n import gettext as _
from server.live import audiences
from server.live.access import Participant, Unauthorised, admit, identify
from server.live.guests import GUEST_COOKIE, read_guest_card
from server.live.room_cache import RoomCache
from server.live.snapshot import join_room
from server.live.votes import Ballot, GroupCommit, vote_questions
from server.settings import Settings

logger = logging.getLogger(__name__)

NAMESPACE = "/live"
MAX_FRAME_BYTES = 64 * 1024
AUTH_KEYS = {"room_token", "guest_key"}
CODES: list[tuple[type[PodiumError], str]] = [
    (TooLarge, "too_large"),
    (InvalidInput, "invalid"),
    (NotFound, "not_found"),
    (Forbidden, "forbidden"),
    (Conflict, "conflict"),
    (RateLimited, "rate_limited"),
]


def error(message: str, code: str) -> dict[str, Any]:
    return {"ok": False, "error": message, "code": code}


class LiveServer:
    """Implements ``server.broadcast.Broadcaster`` for the Starlette app's HTTP actions too."""

    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        actions: Mapping[str, Action],
        counts_interval: float = 0.3,
    ) -> None:
        self.settings = settings
        self.database = database
        self.actions = actions  # the requests it answers (handlers.ACTIONS)
        several = settings.redis_url is not None
        # One channel per installation, so sites sharing a Redis server never hear each other.
        channel = "podium-live-" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
        manager = SharedPersonRooms(settings.redis_url, channel=channel) if settings.redis_url else PersonRooms()
        manager.resolve = self._connections_of
        self.manager = manager
        self.sio = LiveSocketServer(
            async_mode="asgi",
            client_manager=manager,
            # No CORS at the Engine.IO layer (same-origin pages need none), whose refusal is a bare HTTP 400:
            # the handshake refuses a foreign Origin itself, with a code (sioserver.foreign_origin).
            cors_allowed_origins=[],
            # Several processes share no polling state; WebSocket needs no sticky sessions.
            transports=["websocket"] if several else ["websocket", "polling"],
            max_http_buffer_size=MAX_FRAME_BYTES,
            serializer=BoundedPacket,  # a payload nested too deep is answered, not dropped
            logger=False,
            engineio_logger=False,
        )
        self.presence = Presence(settings.redis_url, prefix=channel)
        self.limits = PersonLimits(
            settings.redis_url, prefix=channel, guests_per_address=settings.live_guests_per_address
        )
        self.room_cache = RoomCache()
        self.coalescer = Coalescer(
            database,
            self.presence,
            self._emit,
            onsite=self.room_cache.onsite,
            interval=counts_interval,
            settle=1.0 if several else None,
        )
        self.connections: dict[str, Connection] = {}
        self.votes: GroupCommit[Ballot, Outcome] = GroupCommit(self._vote_batch)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.revocations = RevocationWatcher(self, namespace=NAMESPACE)
        self.sio.on("connect", self.connect, namespace=NAMESPACE)
        self.sio.on("disconnect", self.disconnect, namespace=NAMESPACE)
        self.sio.on("*", self.dispatch, namespace=NAMESPACE)

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.coalescer.start()
        self.revocations.start()

    async def stop(self) -> None:
        await self.revocations.stop()
        await self.coalescer.stop()
        await self.presence.close()
        await self.limits.close()
        await self.manager.close()

    async def _vote_batch(self, ballots: list[Ballot]) -> list[Outcome | PodiumError]:
        async with self.database.session() as db:
            return await vote_questions(db, ballots=ballots)

    # Broadcaster

    async def publish(self, messages: Sequence[Message], counts: Sequence[CountsChanged] = ()) -> None:
        for message in messages:
            await self._emit(message.event, message.data, message.to)
        for change in counts:
            self.coalescer.touch(change)

    async def _emit(self, event: str, data: dict[str, Any], to: str) -> None:
        await self.sio.emit(event, data, to=to, namespace=NAMESPACE)

    def _connections_of(self, session_id: int, key: str) -> list[str]:
        """This process's connections of one person in one room: their person group here (person_rooms.py).
        A scan is enough: personal messages go out per change of someone's question or mute, not per vote."""
        return [
            sid
            for sid, connection in self.connections.items()
            if (participant := connection.rooms.get(session_id)) is not None and participant.key == key
        ]

    # Handshake

    async def connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        # The language the person chose on the pages (the cookie) comes before their browser's.
        language = chosen_language(environ.get("HTTP_COOKIE", ""), environ.get("HTTP_ACCEPT_LANGUAGE", ""))
        # The handshake runs in the connection's own task: reset the language after it, or every
        # connection would keep a context of its own for as long as it lives.
        activated = activate(language)
        try:
            await self._handshake(sid, environ, auth, language)
        finally:
            deactivate(activated)

    async def _handshake(self, sid: str, environ: dict[str, Any], auth: Any, language: Language) -> None:
        self.coalescer.start()
        self.revocations.start()
        if foreign_origin(environ, self.settings.base_url) is not None:
            raise socketio.exceptions.ConnectionRefusedError(
                _("Live rooms accept connections from this site's own pages only."), {"code": "forbidden_origin"}
            )
        auth = auth if auth is not None else {}
        if (
            not isinstance(auth, dict)
            or not set(auth) <= AUTH_KEYS
            or not all(isinstance(value, str) for value in auth.values())
        ):
            raise socketio.exceptions.ConnectionRefusedError(
                _("auth takes room_token and guest_key, as text."), {"code": "invalid"}
            )
        mark = self.revocations.mark()
        try:
            async with self.database.session() as db:
                cookies = environ.get("HTTP_COOKIE", "")
                token = cookie_value(cookies, SESSION_COOKIE)
                account = await signed_in_account(db, session_token=token)
                card = read_guest_card(self.settings.secret_key, cookie_value(cookies, GUEST_COOKIE))
                identity = await identify(
                    db,
                    secret=self.settings.secret_key,
                    account=account,
                    room_token=auth.get("room_token", ""),
                    guest_key=auth.get("guest_key", ""),
                    remembered=(card.guest_id, card.name) if card is not None else None,
                )
        except Unauthorised as refused:
            raise socketio.exceptions.ConnectionRefusedError(str(refused), {"code": "unauthorised"}) from None
        session_hash = token_hash(token) if account is not None else ""
        connection = Connection(
            sid=sid,
            identity=identity,
            language=language,
            session_hash=session_hash,
            address=environ.get("REMOTE_ADDR", ""),
        )
        if not await self.limits.connections.claim(sid, self.limits.caps(connection.owner)):
            raise socketio.exceptions.ConnectionRefusedError(
                _("Too many open connections. Please close another tab or window."), {"code": "too_many_connections"}
            )
        self.connections[sid] = connection
        self.revocations.settle(connection, mark)

    async def disconnect(self, sid: str, _reason: Any = None) -> None:
        connection = self.connections.pop(sid, None)
        if connection is None:
            return
        for session_id, participant in connection.rooms.items():
            self.presence.leave(session_id, participant.key)
            self.coalescer.touch_presence(session_id)
        await self.limits.connections.release(sid)

    # Requests

    async def join(self, connection: Connection, session_id: int, since_seq: int | None) -> dict[str, Any]:
        """Admits the connection to the room, enters its groups, and answers with what it missed."""
        # A new guest's first join needs no look-up of their votes, ballots or mute: they have none yet.
        newcomer = connection.identity.new_guest and not connection.joined_before
        connection.joined_before = True
        mark = self.revocations.mark()
        async with self.database.session() as db:
            participant = await admit(
                db, identity=connection.identity, session_id=session_id, secret=self.settings.secret_key
            )
            if connection.sid not in self.connections:
                raise Forbidden(_("This connection is closed."))
            if session_id not in connection.rooms:
                await self._enter(connection, participant)
            # Entered before reading, so nothing committed from here on can fall between the two.
            answer = await join_room(
                db, actor=participant, since_seq=since_seq, cache=self.room_cache, newcomer=newcomer
            )
        self.revocations.settle(connection, mark)
        if answer["mode"] == "events" or any(question["mine"] for question in answer["questions"]):
            await self.follow_own_questions(connection, participant)
        # Not recounted across processes here: with a crowd joining that would cost each join the whole
        # room. The coalesced counts follow within a second.
        headcount = self.presence.last(session_id)
        answer["counts"]["presence"].update(connected=headcount.connected, online=headcount.online)
        return answer

    async def _enter(self, connection: Connection, participant: Participant) -> None:
        session_id = participant.session_id
        sid = connection.sid
        group = audiences.room(session_id, moderating=participant.can_moderate)
        await self.sio.enter_room(sid, group, namespace=NAMESPACE)
        await self.sio.enter_room(sid, audiences.event(participant.event_id), namespace=NAMESPACE)
        connection.rooms[session_id] = participant
        self.presence.enter(session_id, participant.key, participant.origin)
        self.coalescer.touch_presence(session_id)

    async def follow_own_questions(self, connection: Connection, participant: Participant) -> None:
        """``own_question`` goes to a room of the person's own; a connection enters it once it has a
        question of its own to follow (most people never ask: a room each would cost memory)."""
        if participant.session_id in connection.following:
            return
        connection.following |= {participant.session_id}
        room = audiences.person(participant.session_id, participant.key)
        await self.sio.enter_room(connection.sid, room, namespace=NAMESPACE)

    async def leave(self, connection: Connection, session_id: int) -> None:
        participant = connection.rooms.pop(session_id, None)
        if participant is None:
            return
        sid = connection.sid
        for group in (audiences.moderators(session_id), audiences.audience(session_id)):
            await self.sio.leave_room(sid, group, namespace=NAMESPACE)
        await leave_captions(self.sio, sid, session_id)
        if session_id in connection.following:
            connection.following -= {session_id}
            await self.sio.leave_room(sid, audiences.person(session_id, participant.key), namespace=NAMESPACE)
        if not any(other.event_id == participant.event_id for other in connection.rooms.values()):
            await self.sio.leave_room(sid, audiences.event(participant.event_id), namespace=NAMESPACE)
        self.presence.leave(session_id, participant.key)
        self.coalescer.touch_presence(session_id)

    async def dispatch(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        """Every request answers exactly once, in the person's language; nothing escapes as a crash."""
        connection = self.connections.get(sid)
        if connection is None:
            return error("This connection is closed.", "forbidden")
        activate(connection.language)
        if not await self.limits.allow(connection.owner, "any", connection.refusals):
            return await self._refused(connection)
        action = self.actions.get(event)
        if action is None:
            return error(_("There is no such request."), "unknown_event")
        try:
            return await self._run(connection, action, decode(args, action.fields))
        except PodiumError as failure:
            code = next((code for kind, code in CODES if isinstance(failure, kind)), "invalid")
            return error(failure.message, code)
        except Exception:
            logger.exception("live request %s failed", event)
            return error(_("Something went wrong on our side. Nothing was changed; please try again."), "server_error")

    async def _run(self, connection: Connection, action: Action, payload: dict[str, Any]) -> dict[str, Any]:
        participant = connection.rooms.get(payload["session"])
        if action.joined and participant is None:
            return error(_("Please join this room first."), "not_joined")
        limited = action.limit is not None and not (participant is not None and participant.can_moderate)
        if limited and not await self.limits.allow(connection.owner, action.limit or "", connection.refusals):
            return await self._refused(connection)
        async with self.database.session() as db:
            call = Call(live=self, connection=connection, db=db, payload=payload, participant=participant)
            outcome = await action.handler(call)
        await self.publish(outcome.messages, outcome.counts)
        return {"ok": True, **outcome.answer}

    async def _refused(self, connection: Connection) -> dict[str, Any]:
        if connection.refusals.flooding:
            await self.sio.disconnect(connection.sid, namespace=NAMESPACE)
        return error(_("Too many requests. Please wait a moment."), "rate_limited")
