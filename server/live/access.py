"""Who may enter a live room, and as whom: accounts by their roles and registration, people in the hall
by the room token of the QR code, anonymous guests where the event allows them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.accounts.models import Account
from server.accounts.rules import can_see_event
from server.db import read_latest
from server.errors import Forbidden, InvalidInput, NotFound
from server.i18n import gettext as _
from server.live import rules as live_rules
from server.live.models import LiveSettings, Mute, OnlineEntry, SessionLiveSettings
from server.live.standing import standing_in
from server.permissions import require
from server.registration.models import Attendance

ROOM_TOKEN_SALT = "podium-live-room"  # noqa: S105 (a salt, not a secret)
GUEST_KEY_SALT = "podium-live-guest"  # noqa: S105
MAX_TOKEN_LENGTH = 500
# A room token is accepted this long after it was made: the hall page (server/transport/hall_pages.py) makes a
# fresh one each time it opens, and links of the older ask page (``/ask?token=…``) stop working within hours.
ROOM_TOKEN_LIFETIME_SECONDS = 2 * 60 * 60


class Unauthorised(Exception):
    """The handshake proves nobody: no valid session cookie and no usable room token."""


@dataclass(frozen=True, slots=True)
class RoomGrant:
    """What a room token says: this one room, by someone standing in it."""

    event_id: int
    session_id: int


@dataclass(frozen=True, slots=True)
class Identity:
    """Who connected, decided once in the handshake."""

    account: Account | None
    guest_id: str | None = None
    grant: RoomGrant | None = None
    new_guest: bool = False  # a guest id made for this connection: nothing anywhere is theirs yet
    guest_name: str = ""  # the name a guest gave on their phone (server.live.guests), shown instead of "Guest"

    @property
    def key(self) -> str:
        if self.account is not None:
            return f"a{self.account.id}"
        return f"g{self.guest_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Participant(Actor):
    """The actor admitted to one room (``account`` is None for a guest); the proof services ask for."""

    key: str
    name: str
    kind: str  # "account" or "guest"
    event_id: int
    session_id: int
    origin: str
    country: str
    guest_key: str | None = None

    @property
    def in_room(self) -> bool:
        return True

    @property
    def can_moderate(self) -> bool:
        return live_rules.can_moderate(self)

    @property
    def can_announce(self) -> bool:
        return live_rules.can_announce(self)


def room_token(secret: str, *, event_id: int, session_id: int, issued_at: float | None = None) -> str:
    """The token in the room screen's QR code: it admits people in the hall to this room for a while."""
    issued = int(time.time() if issued_at is None else issued_at)
    return str(URLSafeSerializer(secret, salt=ROOM_TOKEN_SALT).dumps({"e": event_id, "s": session_id, "t": issued}))


def read_room_token(secret: str, token: str, *, now: float | None = None) -> RoomGrant:
    """The room a token admits to; InvalidInput when it is forged, malformed or expired."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvalidInput(_("This room code is not valid."))
    try:
        data = URLSafeSerializer(secret, salt=ROOM_TOKEN_SALT).loads(token)
        grant, issued = RoomGrant(event_id=int(data["e"]), session_id=int(data["s"])), int(data["t"])
    except (BadSignature, KeyError, TypeError, ValueError):  # tokens made before they expired have no "t"
        raise InvalidInput(_("This room code is not valid.")) from None
    if not 0 <= (time.time() if now is None else now) - issued <= ROOM_TOKEN_LIFETIME_SECONDS:
        raise InvalidInput(_("This room code has expired. Please scan the code on the room's screen again."))
    return grant


def guest_key(secret: str, guest_id: str) -> str:
    """A guest's personal key: shown back to the server, it keeps their votes and questions theirs."""
    return str(URLSafeSerializer(secret, salt=GUEST_KEY_SALT).dumps(guest_id))


def read_guest_key(secret: str, token: str) -> str | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = URLSafeSerializer(secret, salt=GUEST_KEY_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, str) and len(value) == 32 and value.isalnum() else None


async def live_settings(db: AsyncSession, *, event_id: int) -> LiveSettings:
    row = await db.get(LiveSettings, event_id)
    return row if row is not None else LiveSettings(event_id=event_id)


@dataclass(frozen=True, slots=True)
class RoomRules:
    """A session's live settings in effect: its own where it sets them, else the event's."""

    anonymous_guests: bool
    online_entry: str
    moderated: bool
    chat: str

    @classmethod
    def of(cls, event: LiveSettings, own: SessionLiveSettings | None) -> RoomRules:
        def pick(name: str) -> Any:
            value = getattr(own, name) if own is not None else None
            return getattr(event, name) if value is None else value

        return cls(
            anonymous_guests=pick("anonymous_guests"),
            online_entry=pick("online_entry"),
            moderated=pick("moderated"),
            chat=pick("chat"),
        )


# Built once: every handshake and join runs these (see server.db.read_latest).
_RULES = select(LiveSettings).where(LiveSettings.event_id == bindparam("event_id"))
_SESSION_RULES = select(SessionLiveSettings).where(SessionLiveSettings.session_id == bindparam("session_id"))


async def current_rules(db: AsyncSession, *, event_id: int, session_id: int) -> RoomRules:
    """The session's live settings in effect as last committed, to read only."""
    rows = await read_latest(db, _RULES, {"event_id": event_id})
    event = LiveSettings(**rows[0]._mapping) if rows else LiveSettings(event_id=event_id)
    own = await read_latest(db, _SESSION_RULES, {"session_id": session_id})
    return RoomRules.of(event, SessionLiveSettings(**own[0]._mapping) if own else None)


async def room_rules(db: AsyncSession, *, event_id: int, session_id: int) -> RoomRules:
    """The same, read in ``db``'s transaction (a write that creates or changes rooms)."""
    return RoomRules.of(await live_settings(db, event_id=event_id), await db.get(SessionLiveSettings, session_id))


async def identify(
    db: AsyncSession,
    *,
    secret: str,
    account: Account | None,
    room_token: str = "",
    guest_key: str = "",
    remembered: tuple[str, str] | None = None,
) -> Identity:
    """Decide who is connecting. Raises ``Unauthorised`` when nobody is proven. ``remembered`` is the guest id
    and name of the phone's guest cookie (server.live.guests), which comes before a ``guest_key``."""
    grant = None
    if room_token:
        try:
            grant = read_room_token(secret, room_token)
        except InvalidInput as error:
            if account is None:
                raise Unauthorised(error.message) from None
    if account is not None:
        return Identity(account=account, grant=grant)
    if grant is None:
        raise Unauthorised(_("Please sign in to enter live rooms."))
    settings = await current_rules(db, event_id=grant.event_id, session_id=grant.session_id)
    if not settings.anonymous_guests:
        raise Unauthorised(_("Please sign in to take part in this room."))
    if remembered is not None:
        return Identity(account=None, guest_id=remembered[0], grant=grant, guest_name=remembered[1])
    known = read_guest_key(secret, guest_key)
    return Identity(account=None, guest_id=known or uuid.uuid4().hex, grant=grant, new_guest=known is None)


async def admit(db: AsyncSession, *, identity: Identity, session_id: int, secret: str) -> Participant:
    """The participant ``identity`` becomes in this session's room, or NotFound / Forbidden. Reads the database
    once (server/live/standing.py), as last committed."""
    account = identity.account
    standing = await standing_in(db, account_id=account.id if account is not None else None, session_id=session_id)
    if standing is None:
        raise NotFound(_("There is no such session."))
    event_id = standing.event.id
    roles = standing.roles
    require(Actor(account=account, roles=roles), can_see_event, standing.event)  # a draft's rooms are its staff's
    in_hall = identity.grant is not None and identity.grant.session_id == session_id
    if account is None:
        if identity.grant is None or identity.grant.event_id != event_id:
            raise NotFound(_("There is no such session."))
        if not in_hall:
            raise Forbidden(_("Your room code is for another room."))
        return _guest(identity, event_id=event_id, session_id=session_id, secret=secret)
    staff = live_rules.enters_every_room(Actor(account=account, roles=roles))
    registration = standing.registration
    settings = RoomRules.of(standing.rules, standing.own_rules)
    if in_hall and registration is None and not staff:
        # A hall code proves where a phone is, not that its account may enter: it counts as a guest's.
        if not settings.anonymous_guests:
            raise Forbidden(_("This room is open to people registered for the event."))
        return _guest(identity, event_id=event_id, session_id=session_id, secret=secret)
    if not (in_hall or staff):
        if registration is None:
            if identity.grant is not None and identity.grant.event_id == event_id:
                raise Forbidden(_("Your room code is for another room."))
            raise Forbidden(_("This room is open to people registered for the event."))
        if settings.online_entry == OnlineEntry.session and not registration.picked_session:
            raise Forbidden(_("This room is open to people registered for this session."))
    origin = Attendance.onsite if in_hall else (registration.attendance if registration else Attendance.online)
    return Participant(
        key=identity.key,
        name=(registration.name if registration else "") or account.name or _("Participant"),
        kind="account",
        account=account,
        event_id=event_id,
        session_id=session_id,
        origin=origin,
        country=registration.country if registration else "",
        roles=roles,
    )


def _guest(identity: Identity, *, event_id: int, session_id: int, secret: str) -> Participant:
    """Someone in the hall by the room's code alone: asks and votes, never chats. A signed-in account keeps its
    own key, so what it asked stays its own after a reconnect."""
    return Participant(
        key=identity.key,
        name=identity.guest_name or _("Guest"),
        kind="guest",
        account=None,
        event_id=event_id,
        session_id=session_id,
        origin=Attendance.onsite,
        country="",
        roles=frozenset(),
        guest_key=guest_key(secret, identity.guest_id) if identity.guest_id else None,
    )


async def is_muted(db: AsyncSession, *, session_id: int, key: str) -> bool:
    row = (await db.exec(select(Mute.id).where(Mute.session_id == session_id, Mute.participant_key == key))).first()
    return row is not None
