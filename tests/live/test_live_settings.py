"""Live settings per event and per session, from the back office's "Live rooms" pages to live clients: each setting
changes what a client sees, in rooms already open too; reviewed chat end to end; session moderators moderate their
own sessions only; optimistic concurrency and the audit trail; bad input."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import socketio
from sqlmodel import col, select

from server.accounts.models import Role, SessionRole
from server.audit.models import AuditEntry
from server.db import Database
from server.live.access import room_token
from server.live.models import ChatMessage
from server.settings import Settings
from tests.support.html import error_message, page
from tests.support.http import as_person, post
from tests.support.live_clients import LiveClient, client_id, lost_within
from tests.support.servers import LiveRoomsServer
from tests.support.world import World

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

EVENT_DEFAULTS = {
    "anonymous_guests": "no",
    "online_entry": "event",
    "moderated": "no",
    "chat": "on",
    "participants": "listed",
}
INHERIT_ALL = dict.fromkeys(("anonymous_guests", "online_entry", "moderated", "chat"), "inherit")


@pytest.fixture
async def site(live_rooms: LiveRoomsServer, world: World) -> AsyncIterator[httpx.AsyncClient]:
    """The organiser's browser, on the same server as the live rooms (so a save reaches open rooms)."""
    async with httpx.AsyncClient(base_url=live_rooms.url) as http:
        yield as_person(http, world.organiser)


async def save_event(site: httpx.AsyncClient, world: World, version: int = 1, **values: str) -> httpx.Response:
    return await post(
        site, f"/{world.event.slug}/organiser/live", {**EVENT_DEFAULTS, **values, "version": str(version)}
    )


async def save_session(
    site: httpx.AsyncClient, world: World, session_id: int, version: int = 1, **values: str
) -> httpx.Response:
    path = f"/{world.event.slug}/organiser/live/sessions/{session_id}"
    return await post(site, path, {**INHERIT_ALL, **values, "version": str(version)})


def room_changes(client: LiveClient, session: int) -> list[dict]:
    return [event["data"] for event in client.room_events(session) if event["kind"] == "room"]


async def test_chat_off_reaches_an_open_room_and_a_session_can_turn_it_back_on(
    world: World, clients, site: httpx.AsyncClient
) -> None:
    room = world.session.id
    delegate = await clients(world.delegate)
    assert (await delegate.join(room))["room"]["chat_open"] is True

    saved = await save_event(site, world, chat="off")
    closed = await delegate.wait_for("room_event", lambda event: event["kind"] == "room")
    refused = await delegate.call("chat.send", {"session": room, "text": "Hello?", "client_id": client_id()})
    reopened_saved = await save_session(site, world, room, chat="on")
    reopened = await delegate.wait_for(
        "room_event", lambda event: event["kind"] == "room" and event["data"]["chat_open"]
    )
    sent = await delegate.call("chat.send", {"session": room, "text": "Hello!", "client_id": client_id()})

    assert saved.status_code == 303 and reopened_saved.status_code == 303
    assert closed["data"]["chat_open"] is False
    assert refused == {"ok": False, "code": "forbidden", "error": "The chat is closed in this room."}
    assert reopened["data"]["chat_open"] is True
    assert sent["ok"] is True


async def test_question_review_turned_on_hides_new_questions_in_an_open_room(
    world: World, clients, site: httpx.AsyncClient
) -> None:
    room = world.session.id
    asker, other = await clients(world.onsite), await clients(world.delegate)
    for client in (asker, other):
        await client.join(room)

    await save_event(site, world, moderated="yes")
    await other.wait_for("room_event", lambda event: event["kind"] == "room" and event["data"]["moderated"])
    asked = await asker.call(
        "question.ask", {"session": room, "text": "Will it be recorded?", "client_id": client_id()}
    )
    seen = await other.wait_for("room_event", lambda event: event["kind"] in ("skip", "question"))

    assert asked["question"]["status"] == "pending"
    assert seen["kind"] == "skip"


async def test_anonymous_guests_follow_the_session_then_the_event(
    world: World, clients, site: httpx.AsyncClient, settings: Settings, live_rooms: LiveRoomsServer
) -> None:
    token = room_token(settings.secret_key, event_id=world.event.id or 0, session_id=world.session.id or 0)

    async def guest_connects() -> bool:
        client = LiveClient()
        try:
            await client.connect(live_rooms.url, auth={"room_token": token})
        except socketio.exceptions.ConnectionError:
            await client.sio.shutdown()
            return False
        await client.close()
        return True

    before = await guest_connects()
    await save_session(site, world, world.session.id, anonymous_guests="yes")
    session_allows = await guest_connects()
    await save_session(site, world, world.session.id, version=2)  # back to the event's: no guests
    inherits_again = await guest_connects()

    assert (before, session_allows, inherits_again) == (False, True, False)


async def test_online_entry_for_pickers_removes_an_open_socket_that_did_not_pick(
    world: World, clients, site: httpx.AsyncClient
) -> None:
    room = world.session.id
    unpicked, picked = await clients(world.delegate), await clients(world.onsite)
    for client in (unpicked, picked):
        assert (await client.join(room))["ok"]

    await save_event(site, world, online_entry="session")
    lost = await lost_within(unpicked, "chat.history", {"session": room, "before": 1})
    kept = await picked.call("chat.history", {"session": room, "before": 1})

    assert lost == "not_joined"
    assert unpicked.received["revoked"][0]["left"] is True
    assert kept["ok"] is True


async def test_reviewed_chat_holds_messages_until_a_moderator_approves(
    world: World, clients, site: httpx.AsyncClient, database: Database
) -> None:
    room = world.session.id
    author, other, moderator = (
        await clients(world.onsite),
        await clients(world.delegate),
        await clients(world.moderator),
    )
    for client in (author, other, moderator):
        await client.join(room)

    await save_event(site, world, chat="reviewed")
    await author.wait_for("room_event", lambda event: event["kind"] == "room" and event["data"]["chat_reviewed"])
    held = await author.call("chat.send", {"session": room, "text": "First, held", "client_id": client_id()})
    queued = await moderator.wait_for("room_event", lambda event: event["kind"] == "chat_held")
    own = await author.wait_for("own_chat")
    skipped = await other.wait_for("room_event", lambda event: event["seq"] == queued["seq"])
    late = await clients(world.speaker)
    late_join = await late.join(room)
    author_rejoin = await (await clients(world.onsite)).join(room)
    approved = await moderator.call("chat.approve", {"session": room, "message": held["message"]["id"]})
    shown = await other.wait_for("room_event", lambda event: event["kind"] == "chat")
    rejected_one = await author.call(
        "chat.send", {"session": room, "text": "Second, rejected", "client_id": client_id()}
    )
    await moderator.wait_for(
        "room_event", lambda event: event["kind"] == "chat_held" and event["data"]["id"] != held["message"]["id"]
    )
    rejected = await moderator.call("chat.reject", {"session": room, "message": rejected_one["message"]["id"]})
    told = await author.wait_for("own_chat", lambda message: message["message"]["status"] == "rejected")
    twice = await moderator.call("chat.reject", {"session": room, "message": rejected_one["message"]["id"]})
    moderators_own = await moderator.call(
        "chat.send", {"session": room, "text": "From the chair", "client_id": client_id()}
    )

    assert held["message"]["status"] == "held"
    assert queued["data"]["text"] == "First, held"
    assert own["message"]["status"] == "held"
    assert skipped["kind"] == "skip"
    assert late_join["chat"] == [] and late_join["chat_held"] == []
    assert [message["text"] for message in author_rejoin["chat_held"]] == ["First, held"]
    assert approved["message"]["status"] == "shown"
    assert (shown["data"]["text"], shown["data"]["status"]) == ("First, held", "shown")
    assert rejected["message"]["status"] == "rejected"
    assert told["message"]["text"] == "Second, rejected"
    assert twice["code"] == "not_found"
    assert moderators_own["message"]["status"] == "shown"
    # Nobody but the author and the moderators ever saw the rejected text.
    for client in (other, late):
        texts = [event["data"]["text"] for event in client.room_events(room) if event["kind"] == "chat"]
        assert "Second, rejected" not in texts
        assert client.received["own_chat"] == []
    async with database.session() as db:
        statuses = dict((await db.exec(select(ChatMessage.text, ChatMessage.status))).all())
    assert statuses == {"First, held": "shown", "Second, rejected": "rejected", "From the chair": "shown"}


async def test_a_session_moderator_moderates_their_session_only(
    world: World, clients, database: Database, site: httpx.AsyncClient
) -> None:
    async with database.session() as db:
        db.add(
            SessionRole(
                event_id=world.event.id or 0,
                session_id=world.session.id or 0,
                account_id=world.delegate.account.id or 0,
                role=Role.moderator,
            )
        )
        await db.commit()
    chair = await clients(world.delegate)

    own_room = await chair.join(world.session.id)
    other_room = await chair.join(world.second.id)
    muted_list_here = await chair.call("participant.muted", {"session": world.session.id})
    muted_list_there = await chair.call("participant.muted", {"session": world.second.id})
    console_here = await as_person(site, world.delegate).get(world.path("moderate"))
    console_there = await site.get(world.path("moderate", session=world.second))

    assert own_room["me"]["can_moderate"] is True
    assert other_room["me"]["can_moderate"] is False  # there, only a registered delegate
    assert muted_list_here["ok"] is True
    assert muted_list_there["code"] == "forbidden"
    assert (console_here.status_code, console_there.status_code) == (200, 404)


async def test_removing_a_session_moderator_cuts_the_open_socket(
    world: World, clients, database: Database, site: httpx.AsyncClient
) -> None:
    async with database.session() as db:
        db.add(
            SessionRole(
                event_id=world.event.id or 0,
                session_id=world.session.id or 0,
                account_id=world.delegate.account.id or 0,
                role=Role.moderator,
            )
        )
        await db.commit()
    chair = await clients(world.delegate)
    assert (await chair.join(world.session.id))["me"]["can_moderate"] is True

    removed = await post(
        site,
        f"/{world.event.slug}/organiser/staff/{world.delegate.account.id}/remove",
        {"role": "moderator", "session": str(world.session.id)},
    )
    lost = await lost_within(chair, "participant.muted", {"session": world.session.id})

    assert removed.status_code == 303
    assert lost == "forbidden"  # still in the room as a delegate, no longer its moderator


async def test_a_stale_save_is_refused_with_the_other_change_shown(
    world: World, site: httpx.AsyncClient, database: Database
) -> None:
    first = await save_event(site, world, version=1, chat="reviewed")
    second = await save_event(site, world, version=1, moderated="yes")
    session_first = await save_session(site, world, world.session.id, version=1, chat="off")
    session_second = await save_session(site, world, world.session.id, version=1, chat="on")
    shown = await site.get(f"/{world.event.slug}/organiser/live")

    assert (first.status_code, second.status_code) == (303, 409)
    assert error_message(second) == "Someone else changed these settings meanwhile: here are theirs."
    assert page(second).xpath("//input[@name='version']/@value") == ["2"]
    assert page(second).xpath("//input[@name='moderated'][@checked]/@value") == ["yes"]  # what they typed
    assert "Saved meanwhile: Reviewed: each message waits for a moderator" in page(second).xpath(
        "//p[contains(@class,'setting-theirs')]/text()"
    )
    assert (session_first.status_code, session_second.status_code) == (303, 409)
    assert page(shown).xpath("//input[@name='chat'][@checked]/@value") == ["reviewed"]
    assert page(shown).xpath("//input[@name='moderated'][@checked]/@value") == ["no"]
    async with database.session() as db:
        audit = (await db.exec(select(AuditEntry).order_by(col(AuditEntry.id)))).all()
    assert [(entry.action, entry.before, entry.after) for entry in audit] == [
        ("live_settings.update", {"chat": "on"}, {"chat": "reviewed"}),
        ("session_live_settings.update", {"chat": None}, {"chat": "off"}),
    ]


async def test_participant_list_follows_the_setting(world: World, site: httpx.AsyncClient) -> None:
    path = f"/{world.event.slug}/participants"

    async def who_sees() -> dict[str, int]:
        return {
            name: (await as_person(site, getattr(world, name)).get(path)).status_code
            for name in ("delegate", "speaker", "moderator")
        }

    listed = await who_sees()
    await save_event(as_person(site, world.organiser), world, participants="staff")
    staff_only = await who_sees()
    await save_event(as_person(site, world.organiser), world, version=2, participants="delegates")
    delegates = await who_sees()

    assert listed == {"delegate": 200, "speaker": 200, "moderator": 200}
    assert staff_only == {"delegate": 404, "speaker": 404, "moderator": 200}
    assert delegates == {"delegate": 200, "speaker": 404, "moderator": 200}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"chat": "maybe"}, "Please choose a value for “Chat”."),
        ({"participants": "all"}, "Please choose a value for “Who may see the participant list”."),
        ({"moderated": "yes\x00"}, "The form contains characters Podium cannot accept, such as a NUL byte."),
        ({"version": "99999999999999"}, "The form is incomplete. Please reload the page and try again."),
    ],
)
async def test_bad_settings_are_refused_and_nothing_changes(
    world: World, site: httpx.AsyncClient, database: Database, values, message
) -> None:
    answer = await post(site, f"/{world.event.slug}/organiser/live", {**EVENT_DEFAULTS, "version": "1", **values})

    assert answer.status_code == 400
    assert error_message(answer) == message
    async with database.session() as db:
        assert (await db.exec(select(AuditEntry))).all() == []


async def test_another_events_session_is_not_found(world: World, site: httpx.AsyncClient) -> None:
    shown = await site.get(f"/{world.event.slug}/organiser/live/sessions/{world.other_session.id}")
    saved = await save_session(site, world, world.other_session.id, chat="off")
    unknown = await site.get(f"/{world.event.slug}/organiser/live/sessions/99999999")

    assert (shown.status_code, saved.status_code, unknown.status_code) == (404, 404, 404)
