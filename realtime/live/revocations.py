"""Revocation reaches open connections: every process reads the revocations committed anywhere (the
``revocation`` table, polled twice a second, so it works with Redis down and across processes) and
re-checks its own connections of each affected account against the database. A connection whose session
ended or whose account was disabled is told why and closed; one that may no longer be in a room leaves
it; one that kept the room but lost a role is moved to the group of what it may still see."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
from typing import Any

from realtime.live import booths
from realtime.live.actions import Connection, LiveRooms
from server.accounts.models import Account
from server.accounts.revocations import RevocationFeed, prune_revocations
from server.accounts.services import session_account
from server.errors import Forbidden, NotFound
from server.i18n import activate, deactivate
from server.i18n import gettext as _
from server.live import audiences
from server.live.access import Participant, admit

logger = logging.getLogger(__name__)

INTERVAL = 0.5
# A handshake or join that read the database before a revocation and registers its connection after the
# watcher handled it is re-checked; none takes this long.
REMEMBERED_FOR = 60.0
STOP_WAIT = 5.0  # seconds a round may take to finish when the server stops
PRUNE_EVERY = 300.0  # seconds; each process prunes, so the table stays small whichever processes run


class RevocationWatcher:
    def __init__(self, live: LiveRooms, *, namespace: str, interval: float = INTERVAL) -> None:
        self.live = live
        self.namespace = namespace
        self.interval = interval
        self.feed = RevocationFeed()
        self.handled = 0  # revocations handled by this process: a mark for ``settle``
        self.recent: dict[int, tuple[int, float]] = {}  # account id -> (mark, monotonic time) of its last
        self.pending: set[str] = set()  # connections to re-check on the next round
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.failing = False
        self.pruned_at = time.monotonic()

    def start(self) -> None:
        if self._task is None:
            self._stopping = asyncio.Event()
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Ends the loop between rounds: a round cancelled inside a query would leave its database connection
        to the garbage collector, unclosed."""
        if self._task is not None:
            self._stopping.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_WAIT)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
            self._task = None

    def mark(self) -> int:
        return self.handled

    def settle(self, connection: Connection, mark: int) -> None:
        """After a handshake or join that read the database at ``mark``: a revocation of its account handled
        since then may have missed this connection, so it is re-checked on the next round."""
        account = connection.identity.account
        if account is not None and self.recent.get(account.id or 0, (0, 0.0))[0] > mark:
            self.pending.add(connection.sid)

    async def _run(self) -> None:
        while True:
            try:
                await self.round()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be away for a while: say so once; the feed resumes where it stopped.
                if not self.failing:
                    logger.exception("reading revocations failed; retrying twice a second")
                self.failing = True
            else:
                if self.failing:
                    logger.warning("reading revocations works again")
                self.failing = False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self.interval)
            if self._stopping.is_set():
                return

    async def round(self) -> None:
        now = time.monotonic()
        async with self.live.database.session() as db:
            revoked = await self.feed.poll(db, now=now)
        accounts = {revocation.account_id for revocation in revoked}
        if accounts:
            self.handled += 1
            for account_id in accounts:
                self.recent[account_id] = (self.handled, now)
            self.pending.update(
                sid
                for sid, connection in self.live.connections.items()
                if connection.identity.account is not None and connection.identity.account.id in accounts
            )
        self.recent = {key: value for key, value in self.recent.items() if value[1] > now - REMEMBERED_FOR}
        pending, self.pending = self.pending, set()
        for sid in pending:
            connection = self.live.connections.get(sid)
            if connection is None:
                continue
            try:
                await self.recheck(connection)
            except Exception:
                # Checked again on the next round rather than left with what it may have lost.
                logger.exception("re-checking a live connection failed")
                self.pending.add(sid)
        if now - self.pruned_at > PRUNE_EVERY:
            self.pruned_at = now
            async with self.live.database.session() as db:
                await prune_revocations(db)

    async def recheck(self, connection: Connection) -> None:
        """Gives the connection exactly what the database grants it now, and tells it what it lost."""
        signed_in = connection.identity.account
        if signed_in is None:
            return  # guests hold no session or role to lose
        activated = activate(connection.language)
        try:
            async with self.live.database.session() as db:
                account = await session_account(db, session_hash=connection.session_hash)
                if account is None:
                    await self._close(connection, await db.get(Account, signed_in.id))
                    return
                connection.identity = dataclasses.replace(connection.identity, account=account)
                for session_id, was in list(connection.rooms.items()):
                    try:
                        now = await admit(
                            db,
                            identity=connection.identity,
                            session_id=session_id,
                            secret=self.live.settings.secret_key,
                        )
                    except (NotFound, Forbidden) as refusal:
                        await self._leave(connection, session_id, refusal.message)
                        continue
                    await self._regroup(connection, was, now)
                for session_id, language in list(connection.booths):
                    message = await booths.refusal(db, connection, session_id, language)
                    if message is not None:
                        await booths.leave(self.live, connection, session_id, language)
                        await self._tell(connection, session_id, "role", message, left=True)
        finally:
            deactivate(activated)

    async def _close(self, connection: Connection, account: Account | None) -> None:
        disabled = account is None or account.disabled
        message = (
            _("This account has been disabled.")
            if disabled
            else _("You were signed out. Please sign in again to take part.")
        )
        await self._tell(connection, None, "disabled" if disabled else "signed_out", message, left=True)
        await self.live.sio.disconnect(connection.sid, namespace=self.namespace)

    async def _leave(self, connection: Connection, session_id: int, reason: str) -> None:
        if session_id not in connection.rooms:
            return
        await self.live.leave(connection, session_id)
        await self._tell(connection, session_id, "removed", reason, left=True)

    async def _regroup(self, connection: Connection, was: Participant, now: Participant) -> None:
        session_id = now.session_id
        if connection.rooms.get(session_id) is not was or connection.sid not in self.live.connections:
            return  # it left or joined again meanwhile: that join read the database itself
        connection.rooms[session_id] = now
        sid, namespace, sio = connection.sid, self.namespace, self.live.sio
        if was.can_moderate != now.can_moderate:
            await sio.leave_room(sid, audiences.room(session_id, moderating=was.can_moderate), namespace=namespace)
            await sio.enter_room(sid, audiences.room(session_id, moderating=now.can_moderate), namespace=namespace)
        if was.origin != now.origin:
            self.live.presence.leave(session_id, was.key)
            self.live.presence.enter(session_id, now.key, now.origin)
            self.live.coalescer.touch_presence(session_id)
        if was.can_moderate and not now.can_moderate:
            await self._tell(connection, session_id, "role", _("You can no longer moderate this room."), left=False)

    async def _tell(
        self, connection: Connection, session_id: int | None, reason: str, message: str, *, left: bool
    ) -> None:
        data: dict[str, Any] = {"session": session_id, "reason": reason, "left": left, "message": message}
        # The connection is this process's: no need to wait for the bus, which may be away.
        await self.live.sio.emit("revoked", data, to=connection.sid, namespace=self.namespace, ignore_queue=True)
