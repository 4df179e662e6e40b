"""Who may connect and join, guests by room token, and the role matrix of every moderator action."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import socketio
from sqlmodel import func, select

from server.db import Database
from server.live.access import room_token
from server.live.models import Announcement, RoomLog
from server.settings import Settings
from tests.support import factories
from tests.support.live_clients import LiveClient, client_id
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = pytest.mark.integration


async def test_connect_refused_without_cookie_or_token(live_rooms: LiveRoomsServer) -> None:
    for cookie in (None, "forged-session-token"):
        client = LiveClient()
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(live_rooms.url, cookie=cookie)
        await client.sio.shutdown()


async def test_join_rules_by_role_and_registration(world: World, clients) -> None:
    room = world.session.id
    expected = {
        "delegate": True,
        "onsite": True,
        "speaker": True,
        "moderator": True,
        "organiser": True,
        "outsider": "forbidden",
        "other_moderator": "forbidden",
    }
    outcomes = {}
    for name in expected:
        answer = await (await clients(getattr(world, name))).join(room)
        outcomes[name] = True if answer["ok"] else answer["code"]
    unknown = await (await clients(world.delegate)).join(999_999)

    assert outcomes == expected
    assert unknown["code"] == "not_found"


async def test_online_entry_per_session_admits_only_those_who_picked_it(
    world: World, clients, database: Database
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, online_entry="session")

    picked = await (await clients(world.onsite)).join(world.session.id)
    not_picked = await (await clients(world.delegate)).join(world.session.id)
    staff = await (await clients(world.speaker)).join(world.session.id)

    assert picked["ok"] is True and staff["ok"] is True
    assert not_picked["code"] == "forbidden"


async def test_guest_with_room_token_asks_and_votes_but_stays_in_its_room(
    world: World, clients, database: Database, settings: Settings
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=True)
    token = room_token(settings.secret_key, event_id=world.event.id or 0, session_id=world.session.id or 0)
    guest = await clients(auth={"room_token": token})

    joined = await guest.join(world.session.id)
    asked = await guest.call(
        "question.ask", {"session": world.session.id, "text": "From the hall", "client_id": client_id()}
    )
    voted = await guest.call(
        "question.vote", {"session": world.session.id, "question": asked["question"]["id"], "vote": True}
    )
    chat = await guest.call("chat.send", {"session": world.session.id, "text": "hi", "client_id": client_id()})
    elsewhere = await guest.join(world.second.id)
    other_event = await guest.join(world.other_session.id)
    back = await clients(auth={"room_token": token, "guest_key": joined["me"]["guest_key"]})
    again = await back.join(world.session.id)

    assert (joined["me"]["kind"], joined["me"]["origin"]) == ("guest", "onsite")
    assert asked["question"]["origin"] == "onsite"
    assert voted["votes"] == 1
    assert chat["code"] == "forbidden"
    assert elsewhere["code"] == "forbidden"
    assert other_event["code"] == "not_found"
    assert again["me"]["key"] == joined["me"]["key"]
    assert again["me"]["voted"] == [asked["question"]["id"]]


async def test_room_token_refused_when_event_disallows_guests(
    world: World, live_rooms: LiveRoomsServer, settings: Settings, clients
) -> None:
    token = room_token(settings.secret_key, event_id=world.event.id or 0, session_id=world.session.id or 0)
    client = LiveClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(live_rooms.url, auth={"room_token": token})
    await client.sio.shutdown()
    forged = LiveClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await forged.connect(live_rooms.url, auth={"room_token": token[:-3] + "abc"})
    await forged.sio.shutdown()
    # A signed-in outsider holding the room's code is not let in by it: the code shows where a phone is, and
    # the event takes no guests (where it does, the outsider enters as a guest: tests/live_pages/test_room_codes.py).
    outsider = await clients(world.outsider, auth={"room_token": token})
    refused = await outsider.join(world.session.id)
    assert (refused["code"], refused["error"]) == ("forbidden", "This room is open to people registered for the event.")
    assert (await outsider.join(world.second.id))["code"] == "forbidden"


async def test_error_acks_follow_the_language_chosen_on_the_pages(world: World, live_rooms: LiveRoomsServer) -> None:
    signed_in = f"podium_session={world.delegate.token}"
    handshakes = {
        "cookie over an English browser": {
            "Cookie": f"{signed_in}; podium_lang=zh-Hans",
            "Accept-Language": "en-GB,en",
        },
        "cookie over a Chinese browser": {"Cookie": f"{signed_in}; podium_lang=en", "Accept-Language": "zh-CN,zh"},
        "browser alone": {"Cookie": signed_in, "Accept-Language": "zh-CN,zh"},
    }
    answers = {}
    for name, headers in handshakes.items():
        client = await LiveClient().connect(live_rooms.url, headers=headers)
        answers[name] = (await client.join(999_999))["error"]
        await client.close()
    refused = LiveClient()
    errors: list[Any] = []
    refused.sio.on("connect_error", lambda data: errors.append(data), namespace="/live")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect(live_rooms.url, headers={"Cookie": "podium_lang=zh-Hans", "Accept-Language": "en"})
    await refused.sio.shutdown()

    assert answers == {
        "cookie over an English browser": "没有这场会议。",
        "cookie over a Chinese browser": "There is no such session.",
        "browser alone": "没有这场会议。",
    }
    assert errors[0]["message"] == "请登录后进入直播会议室。"


Targets = dict[str, Any]
Payload = Callable[[Targets], dict[str, Any]]

MODERATOR_ACTIONS: dict[str, Payload] = {
    "question.approve": lambda t: {"question": t["question"]},
    "question.reject": lambda t: {"question": t["question"]},
    "question.edit": lambda t: {"question": t["question"], "text": "Fixed text"},
    "question.merge": lambda t: {"question": t["question"], "into": t["other_question"]},
    "question.label": lambda t: {"question": t["question"], "label": "Panel"},
    "question.highlight": lambda t: {"question": t["question"]},
    "question.answer": lambda t: {"question": t["question"], "answered": True},
    "question.archive": lambda t: {"question": t["question"], "archived": True},
    "chat.delete": lambda t: {"message": t["message"]},
    "participant.mute": lambda t: {"participant": t["participant"], "muted": True},
    "participant.muted": lambda t: {},
    "room.update": lambda t: {"moderated": True},
    "poll.create": lambda t: {"question": "Tea?", "kind": "single", "options": ["Yes", "No"], "client_id": client_id()},
    "poll.open": lambda t: {"poll": t["poll"]},
    "poll.close": lambda t: {"poll": t["poll"]},
    "poll.show_results": lambda t: {"poll": t["poll"], "visible": True},
}
ORGANISER_ACTIONS: dict[str, Payload] = {
    "announcement.post": lambda t: {"text": "Lunch is served", "client_id": client_id()},
    "announcement.remove": lambda t: {"announcement": t["announcement"]},
}
ROLES = {"delegate": "forbidden", "speaker": "forbidden", "moderator": True, "organiser": True}


async def _targets(chair: LiveClient, organiser: LiveClient, room: int, participant: str) -> Targets:
    """Fresh objects to act on, made by the chair (exempt from the flood limits)."""

    async def ok(client: LiveClient, event: str, **payload: Any) -> dict[str, Any]:
        answer: dict[str, Any] = await client.call(event, {"session": room, **payload})
        assert answer["ok"], answer
        return answer

    question = await ok(chair, "question.ask", text="Target", client_id=client_id())
    other = await ok(chair, "question.ask", text="Other", client_id=client_id())
    message = await ok(chair, "chat.send", text="Target message", client_id=client_id())
    poll = await ok(
        chair, "poll.create", question="Coffee?", kind="single", options=["Yes", "No"], client_id=client_id()
    )
    announcement = await ok(organiser, "announcement.post", text="Target", client_id=client_id())
    return {
        "question": question["question"]["id"],
        "other_question": other["question"]["id"],
        "message": message["message"]["id"],
        "participant": participant,
        "poll": poll["poll"]["id"],
        "announcement": announcement["announcement"]["id"],
    }


async def _changes(database: Database) -> tuple[int, int]:
    async with database.session() as db:
        log = (await db.exec(select(func.count()).select_from(RoomLog))).one()
        removed = (
            await db.exec(select(func.count()).select_from(Announcement).where(Announcement.removed_at.is_not(None)))  # type: ignore[union-attr]
        ).one()
        return log, removed


@pytest.mark.parametrize("role", sorted(ROLES))
async def test_role_matrix_of_moderator_and_organiser_actions(
    role: str, world: World, clients: Callable[..., Awaitable[LiveClient]], database: Database
) -> None:
    room = world.session.id
    chair, asker, organiser = (
        await clients(world.moderator),
        await clients(world.delegate),
        await clients(world.organiser),
    )
    actor = await clients(getattr(world, role))
    for client in (chair, asker, organiser, actor):
        assert (await client.join(room))["ok"]
    # Only someone who wrote in the room can be muted.
    said = await asker.call("chat.send", {"session": room, "text": "Hello", "client_id": client_id()})
    assert said["ok"], said
    expected_announce = True if role == "organiser" else "forbidden"

    outcomes: dict[str, Any] = {}
    for actions, expected in ((MODERATOR_ACTIONS, ROLES[role]), (ORGANISER_ACTIONS, expected_announce)):
        for event, payload in actions.items():
            # Making targets costs the chair four requests; at 20 a second (the flood limit's refill)
            # a fast machine would otherwise drain its burst and see "rate_limited" mid-matrix.
            await asyncio.sleep(0.25)
            targets = await _targets(chair, organiser, room, world.delegate.key)
            before = await _changes(database)
            answer = await actor.call(event, {"session": room, **payload(targets)})
            outcomes[event] = True if answer["ok"] else answer["code"]
            if expected is not True:
                assert await _changes(database) == before, event
            assert outcomes[event] == expected, (event, answer)


async def test_other_events_objects_are_not_found(world: World, clients, database: Database) -> None:
    room, other_room = world.session.id, world.other_session.id
    chair, asker = await clients(world.moderator), await clients(world.delegate)
    other_chair = await clients(world.other_moderator)
    await chair.join(room)
    await asker.join(room)
    await other_chair.join(other_room)
    organiser = await clients(world.organiser)
    await organiser.join(room)
    targets = await _targets(chair, organiser, room, world.delegate.key)
    before = await _changes(database)

    outcomes = {}
    for event, payload in MODERATOR_ACTIONS.items():
        if (
            "question" in payload(targets)
            and event != "poll.create"
            or "poll" in payload(targets)
            or "message" in payload(targets)
        ):
            answer = await other_chair.call(event, {"session": other_room, **payload(targets)})
            outcomes[event] = answer["code"] if not answer["ok"] else True
    into_room = await other_chair.call("question.approve", {"session": room, "question": targets["question"]})

    assert set(outcomes.values()) == {"not_found"}
    assert into_room["code"] == "not_joined"
    assert (await other_chair.join(room))["code"] == "forbidden"
    assert await _changes(database) == before


async def test_live_settings_only_for_organisers(world: World, database: Database) -> None:
    from server.accounts.actors import Actor
    from server.accounts.models import Account, Role
    from server.errors import InvalidInput, NotFound
    from server.live.access import live_settings
    from server.live.event_settings import update_live_settings

    async with database.session() as db:
        organiser = await db.get_one(Account, world.organiser.account.id)
        moderator = await db.get_one(Account, world.moderator.account.id)
        with pytest.raises(NotFound):
            await update_live_settings(
                db, actor=Actor(account=moderator, roles=frozenset({Role.moderator})), event=world.event, moderated=True
            )
        with pytest.raises(InvalidInput):
            await update_live_settings(
                db,
                actor=Actor(account=organiser, roles=frozenset({Role.organiser})),
                event=world.event,
                online_entry="all",
            )
        await update_live_settings(
            db,
            actor=Actor(account=organiser, roles=frozenset({Role.organiser})),
            event=world.event,
            anonymous_guests=True,
            online_entry="session",
        )
        stored = await live_settings(db, event_id=world.event.id or 0)

    assert (stored.anonymous_guests, stored.online_entry, stored.moderated) == (True, "session", False)
