"""The live pages over HTTP: who may open the room, the console and the screen; the screen's QR code and
the guest page it leads to; the organisers' announcement form."""

from __future__ import annotations

import base64
import datetime as dt

import httpx
import lxml.html
import pytest
from sqlmodel import func, select

from server.agenda.services import load_programme
from server.db import Database
from server.live import audiences
from server.live.access import admit, identify, room_token
from server.live.models import Announcement
from server.registration.badges import qr_svg
from server.settings import Settings
from server.transport.live_pages import now_and_next
from tests.support import factories
from tests.support.http import Recorder, as_person, csrf
from tests.support.world import World

pytestmark = pytest.mark.integration

PAGES = ("room", "moderate", "screen")
# One row per person, one column per page, in the order of PAGES.
# Signed out, a staff page asks to sign in (303); the room explains itself (403) with a sign-in link.
EXPECTED = {
    "anonymous": (403, 303, 303),
    "outsider": (403, 404, 404),
    "delegate": (200, 404, 404),
    "onsite": (200, 404, 404),
    "speaker": (200, 404, 404),
    "moderator": (200, 200, 200),
    "organiser": (200, 200, 200),
    "other_moderator": (403, 404, 404),
    "admin": (403, 404, 404),  # an instance admin has no say in an event's rooms without a role there
}
QR_IMAGE = "data:image/svg+xml;base64,"


def html(response: httpx.Response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def text_of(response: httpx.Response, css_class: str) -> str:
    found = html(response).xpath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {css_class} ')]")
    assert found, response.text
    return " ".join(found[0].text_content().split())


async def announcement_count(database: Database) -> int:
    async with database.session() as db:
        return int((await db.exec(select(func.count()).select_from(Announcement))).one())


@pytest.mark.parametrize("who", list(EXPECTED))
async def test_live_pages_per_role(web: httpx.AsyncClient, world: World, who: str) -> None:
    as_person(web, world.people.get(who))

    statuses = tuple([(await web.get(world.path(page))).status_code for page in PAGES])

    assert statuses == EXPECTED[who]


async def test_room_page_refuses_anonymous_with_a_sign_in_link(web: httpx.AsyncClient, world: World) -> None:
    response = await as_person(web, None).get(world.path("room"))

    assert response.status_code == 403
    assert text_of(response, "entry-message") == "Please sign in to enter the live room."
    links = html(response).xpath("//main//a/@href")
    assert f"/signin?next=%2F{world.event.slug}%2Fsessions%2F{world.session.code}%2Froom" in links
    assert f"/{world.event.slug}/register" in links


async def test_room_page_refuses_the_unregistered_with_a_register_link(web: httpx.AsyncClient, world: World) -> None:
    response = await as_person(web, world.people["outsider"]).get(world.path("room"))

    assert response.status_code == 403
    assert text_of(response, "entry-message") == "This room is open to people registered for the event."
    assert f"/{world.event.slug}/register" in html(response).xpath("//main//a/@href")


async def test_room_page_per_session_entry_needs_the_session_picked(
    web: httpx.AsyncClient, world: World, database: Database
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, online_entry="session")

    refused = await as_person(web, world.people["delegate"]).get(world.path("room"))
    admitted = await as_person(web, world.people["onsite"]).get(world.path("room"))

    assert refused.status_code == 403
    assert text_of(refused, "entry-message") == "This room is open to people registered for this session."
    assert world.path("pick") in html(refused).xpath("//main//a/@href")
    assert admitted.status_code == 200


async def test_room_page_carries_the_session_and_the_stream_placeholder(web: httpx.AsyncClient, world: World) -> None:
    response = await as_person(web, world.people["delegate"]).get(world.path("room"))

    document = html(response)
    assert document.get_element_by_id("live").get("data-session") == str(world.session.id)
    stream = document.get_element_by_id("stream")
    pass_url = world.path("stream/pass")
    assert (stream.get("data-whep-url"), stream.get("data-pass-url")) == (f"/whep/{world.session.id}", pass_url)
    assert [video.get("muted") is not None for video in stream.iter("video")] == [True]
    assert response.headers["cache-control"] == "private, no-store"


async def test_console_and_chat_texts_of_mutes_and_voters_in_chinese(web: httpx.AsyncClient, world: World) -> None:
    response = await as_person(web, world.people["moderator"]).get(world.path("moderate") + "?lang=zh-Hans")

    document = html(response)
    words = {node.get("data-key"): node.text_content() for node in document.get_element_by_id("live-text").iter("span")}
    assert words["muted_you"] == "主持人已在此会议室的聊天中将您禁言。"
    assert (words["voters"], words["muted_since_by"]) == ("{count} 人已投票", "{time} 起被 {name} 禁言")
    assert " ".join(document.get_element_by_id("muted-heading").text_content().split()) == "聊天中被禁言的人 (0)"
    assert document.get_element_by_id("muted-empty").text_content() == "此会议室中没有人被禁言。"


@pytest.mark.parametrize("page", PAGES)
async def test_another_events_session_is_not_found_through_this_event(
    web: httpx.AsyncClient, world: World, page: str
) -> None:
    as_person(web, world.people["organiser"])

    response = await web.get(world.path(page, session=world.other_session))

    assert response.status_code == 404


@pytest.mark.parametrize("page", ["moderate", "screen"])
async def test_staff_pages_of_another_event_are_not_found(web: httpx.AsyncClient, world: World, page: str) -> None:
    path = world.path(page, session=world.other_session, event=world.other_event)

    ours = await as_person(web, world.people["organiser"]).get(path)
    theirs = await as_person(web, world.people["other_moderator"]).get(path)

    assert (ours.status_code, theirs.status_code) == (404, 200)


async def test_live_pages_have_no_inline_scripts_or_styles(web: httpx.AsyncClient, world: World) -> None:
    as_person(web, world.people["organiser"])
    for page in PAGES:
        document = html(await web.get(world.path(page)))
        assert [script.get("src") for script in document.iter("script") if not script.get("src")] == []
        assert document.xpath("//*[@style]") == []


def qr_shown(image_address: str) -> str:
    assert image_address.startswith(QR_IMAGE)
    return base64.b64decode(image_address.removeprefix(QR_IMAGE)).decode()


async def test_screen_qr_code_encodes_the_rooms_short_address(
    web: httpx.AsyncClient, world: World, database: Database, settings: Settings
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=True)

    screen = await as_person(web, world.people["moderator"]).get(world.path("screen"))
    shown = html(screen).get_element_by_id("guest-url").get("href")
    qr = html(screen).get_element_by_id("screen-qr").get("src")
    code = " ".join(html(screen).get_element_by_id("hall-code").text_content().split())
    again = await web.get(world.path("screen"))
    guest_page = await as_person(web, None).get(shown.removeprefix(settings.base_url))

    assert code.startswith("Room code: #")
    assert shown == f"{settings.base_url}/j/{code.removeprefix('Room code: #')}"
    assert html(again).get_element_by_id("guest-url").get("href") == shown  # the code is the session's, for good
    assert qr_shown(qr) == qr_svg(shown)
    assert guest_page.status_code == 200
    token = html(guest_page).get_element_by_id("live").get("data-room-token")
    async with database.session() as db:
        identity = await identify(db, secret=settings.secret_key, account=None, room_token=token)
        guest = await admit(db, identity=identity, session_id=world.session.id or 0, secret=settings.secret_key)
    assert (guest.kind, guest.origin, guest.session_id) == ("guest", "onsite", world.session.id)


async def test_guest_page_asks_anonymous_people_to_sign_in_where_guests_are_not_allowed(
    web: httpx.AsyncClient, world: World, settings: Settings
) -> None:
    token = room_token(settings.secret_key, event_id=world.event.id or 0, session_id=world.session.id or 0)
    path = f"{world.path('ask')}?token={token}"

    anonymous = await as_person(web, None).get(path)
    unregistered = await as_person(web, world.people["outsider"]).get(path)
    registered = await as_person(web, world.people["delegate"]).get(path)

    assert anonymous.status_code == 403
    assert text_of(anonymous, "entry-message") == "Please sign in to ask questions and vote in this room."
    assert unregistered.status_code == 403
    assert text_of(unregistered, "entry-message") == "This room is open to people registered for the event."
    assert registered.status_code == 200


@pytest.mark.parametrize("case", ["another-room", "another-event", "forged", "missing"])
async def test_guest_page_refuses_a_token_not_for_this_room(
    web: httpx.AsyncClient, world: World, settings: Settings, case: str
) -> None:
    secret = settings.secret_key
    tokens = {
        "another-room": room_token(secret, event_id=world.event.id or 0, session_id=world.second.id or 0),
        "another-event": room_token(secret, event_id=world.other_event.id or 0, session_id=world.session.id or 0),
        "forged": room_token("not-the-secret", event_id=world.event.id or 0, session_id=world.session.id or 0),
        "missing": "",
    }

    response = await as_person(web, world.people["moderator"]).get(world.path("ask"), params={"token": tokens[case]})

    assert response.status_code == 404


async def test_announcement_form_requires_csrf(
    web: httpx.AsyncClient, world: World, database: Database, recorder: Recorder
) -> None:
    as_person(web, world.people["organiser"])
    await csrf(web)

    response = await web.post(
        f"/{world.event.slug}/organiser/announcements", data={"text": "Lunch", "client_id": "retry-id-0001"}
    )

    assert response.status_code == 403
    assert await announcement_count(database) == 0
    assert recorder.messages == []


@pytest.mark.parametrize("who", ["anonymous", "delegate", "speaker", "moderator", "other_moderator"])
async def test_announcement_form_requires_the_organiser_role(
    web: httpx.AsyncClient, world: World, database: Database, recorder: Recorder, who: str
) -> None:
    as_person(web, world.people.get(who))
    path = f"/{world.event.slug}/organiser/announcements"

    page = await web.get(path)
    posted = await web.post(path, data={"csrf_token": await csrf(web), "text": "Lunch", "client_id": "retry-id-0001"})

    assert (page.status_code, posted.status_code) == (303 if who == "anonymous" else 404, 404)
    assert await announcement_count(database) == 0
    assert recorder.messages == []


async def test_organiser_announcement_reaches_every_room_once_and_can_be_removed(
    web: httpx.AsyncClient, world: World, database: Database, recorder: Recorder
) -> None:
    as_person(web, world.people["organiser"])
    path = f"/{world.event.slug}/organiser/announcements"
    form = {
        "csrf_token": await csrf(web),
        "text": "  Lunch is served in the east hall.  ",
        "client_id": "retry-id-0001",
    }

    first = await web.post(path, data=form)
    retry = await web.post(path, data=form)
    shown = await web.get(first.headers["location"])

    assert (first.status_code, retry.status_code) == (303, 303)
    assert first.headers["location"] == path + "?posted=1"
    assert await announcement_count(database) == 1
    [message] = recorder.messages
    assert (message.to, message.event) == (audiences.event(world.event.id or 0), "announcement")
    assert message.data["announcement"]["text"] == "Lunch is served in the east hall."
    assert text_of(shown, "announcement-text") == "Lunch is served in the east hall."

    announcement_id = message.data["announcement"]["id"]
    removed = await web.post(f"{path}/{announcement_id}/remove", data={"csrf_token": await csrf(web)})

    assert removed.status_code == 303
    assert [(sent.event, sent.data) for sent in recorder.messages[1:]] == [
        ("announcement_removed", {"event": world.event.id, "id": announcement_id})
    ]
    assert html(await web.get(path)).xpath("//*[@class='announcement-text']") == []


async def test_empty_announcement_is_refused_with_a_message(
    web: httpx.AsyncClient, world: World, database: Database, recorder: Recorder
) -> None:
    as_person(web, world.people["organiser"])
    form = {"csrf_token": await csrf(web), "text": "   ", "client_id": "retry-id-0001"}

    response = await web.post(f"/{world.event.slug}/organiser/announcements", data=form)

    assert response.status_code == 400
    assert text_of(response, "error-message") == "Please write something first."
    assert await announcement_count(database) == 0
    assert recorder.messages == []


async def test_organiser_cannot_announce_to_another_event(
    web: httpx.AsyncClient, world: World, database: Database
) -> None:
    as_person(web, world.people["organiser"])
    form = {"csrf_token": await csrf(web), "text": "Lunch", "client_id": "retry-id-0001"}

    response = await web.post(f"/{world.other_event.slug}/organiser/announcements", data=form)

    assert response.status_code == 404
    assert await announcement_count(database) == 0


async def test_screen_shows_the_session_running_in_the_room_and_the_next(database: Database, world: World) -> None:
    async with database.session() as db:
        programme = await load_programme(db, event=world.event)
    view = programme.session(world.session.code)
    in_room = [other for other in programme.sessions if other.room.id == view.room.id]
    later = in_room[in_room.index(view) + 1]

    before = now_and_next(programme, view, view.session.start - dt.timedelta(days=1))
    during_later = now_and_next(programme, view, later.session.start + dt.timedelta(minutes=1))

    assert before == (view, False, later)
    assert during_later == (later, True, in_room[in_room.index(later) + 1])
