"""The hall in two steps over HTTP: the short address and its one box, a session's short code, the phone page
that remembers a guest by a signed HttpOnly cookie, and a guest's questions and votes kept when they sign in."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import lxml.html
import pytest
from sqlmodel import select

from server.app import create_app
from server.db import Database
from server.live.access import Participant, admit, identify
from server.live.guests import GUEST_COOKIE, read_guest_card
from server.live.hall import ALPHABET, CODE_LENGTH, hall_code
from server.live.models import Poll, PollOption, PollVote, Question, QuestionVote
from server.live.polls import create_poll, open_poll, vote_poll
from server.live.questions import approve_question, ask_question
from server.live.votes import Ballot, vote_questions
from server.settings import Settings
from tests.support import factories
from tests.support.http import ORIGIN, as_person, csrf, post, sign_in
from tests.support.world import World

pytestmark = pytest.mark.integration


def document(response: httpx.Response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def words(element: lxml.html.HtmlElement) -> str:
    return " ".join(element.text_content().split())


@pytest.fixture
async def code(database: Database, world: World) -> str:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=True, moderated=True)
        return await hall_code(db, event_id=world.event.id or 0, session_id=world.session.id or 0)


async def test_a_sessions_code_is_short_unambiguous_unique_and_kept(database: Database, world: World) -> None:
    async with database.session() as db:
        first = await hall_code(db, event_id=world.event.id or 0, session_id=world.session.id or 0)
        again = await hall_code(db, event_id=world.event.id or 0, session_id=world.session.id or 0)
        other = await hall_code(db, event_id=world.event.id or 0, session_id=world.second.id or 0)

    assert first == again
    assert other != first
    assert len(first) == CODE_LENGTH and set(first) <= set(ALPHABET)
    assert set(ALPHABET).isdisjoint("0O1IL5S2Z8BUV")


async def test_the_short_address_takes_a_typed_code_to_its_room(web: httpx.AsyncClient, code: str) -> None:
    empty = await web.get("/j")
    typed = await web.get("/j", params={"code": f" #{code.lower()} "})
    lower = await web.get(f"/j/{code.lower()}")

    assert empty.status_code == 200
    assert document(empty).xpath("//input[@id='hall-code']/@name") == ["code"]
    assert (typed.status_code, typed.headers["location"]) == (303, f"/j/{code}")
    assert (lower.status_code, lower.headers["location"]) == (303, f"/j/{code}")


@pytest.mark.parametrize("typed", ["ZZZZZ", "K7Q", "hello world"])
async def test_a_wrong_code_says_so_and_keeps_what_was_typed(web: httpx.AsyncClient, code: str, typed: str) -> None:
    from_box = await web.get("/j", params={"code": typed})
    in_address = await web.get(f"/j/{typed}")

    for answer in (from_box, in_address):
        assert answer.status_code == 404
        page = document(answer)
        assert words(page.get_element_by_id("hall-code-error")) == (
            f"There is no room with the code “{typed}”. Please check the code on the room's screen."
        )
        assert page.get_element_by_id("hall-code").get("value") == typed
        assert page.get_element_by_id("hall-code").get("aria-describedby") == "hall-code-error"


async def test_an_empty_code_or_a_nul_byte_is_refused_with_a_message(web: httpx.AsyncClient, code: str) -> None:
    empty = await web.get("/j", params={"code": "  "})
    nul = await web.get("/j", params={"code": "AB\x00CD"})

    assert empty.status_code == 400
    assert (
        words(document(empty).get_element_by_id("hall-code-error"))
        == "Please type the code shown on the room's screen."
    )
    assert nul.status_code == 400
    assert "NUL" in nul.text or "cannot" in nul.text


async def test_the_phone_page_remembers_a_guest_with_a_signed_http_only_cookie(
    web: httpx.AsyncClient, code: str, settings: Settings
) -> None:
    first = await as_person(web, None).get(f"/j/{code}")
    again = await web.get(f"/j/{code}")

    assert first.status_code == 200
    cookie = next(value for value in first.headers.get_list("set-cookie") if value.startswith(f"{GUEST_COOKIE}="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=34560000" in cookie
    card = read_guest_card(settings.secret_key, web.cookies[GUEST_COOKIE])
    assert card is not None
    assert read_guest_card(settings.secret_key, web.cookies[GUEST_COOKIE]) == card  # the same guest on return
    assert words(document(again).get_element_by_id("hall-as")) == (
        "You take part as a guest, remembered on this device. No sign-in needed."
    )
    assert document(again).xpath("//form[@id='ask-form']//textarea[@id='ask-text']")  # the question box at once
    forged = web.cookies[GUEST_COOKIE][:-2] + "xx"
    assert read_guest_card(settings.secret_key, forged) is None


async def test_guests_are_refused_with_a_way_to_sign_in_where_the_event_does_not_allow_them(
    web: httpx.AsyncClient, database: Database, world: World, code: str
) -> None:
    async with database.session() as db:
        await factories.set_live_settings(db, world.event, anonymous_guests=False)

    refused = await as_person(web, None).get(f"/j/{code}")
    delegate = await as_person(web, world.delegate).get(f"/j/{code}")

    assert refused.status_code == 403
    page = document(refused)
    assert words(page.find_class("entry-message")[0]) == (
        "This room takes questions from people who are signed in. Please sign in to ask and vote."
    )
    assert page.xpath("//a[.='Sign in']/@href") == [f"/signin?next=%2Fj%2F{code}"]
    assert GUEST_COOKIE not in refused.headers.get("set-cookie", "")
    assert delegate.status_code == 200


async def test_a_guest_name_is_optional_checked_and_shown_with_their_questions(
    web: httpx.AsyncClient, database: Database, settings: Settings, world: World, code: str
) -> None:
    await as_person(web, None).get(f"/j/{code}")
    nul = await post(web, f"/j/{code}/name", {"name": "Ana\x00"})
    long = await post(web, f"/j/{code}/name", {"name": "A" * 61})
    saved = await post(web, f"/j/{code}/name", {"name": "  Ana Lima "})

    assert nul.status_code == 400
    assert words(document(nul).get_element_by_id("hall-name-error")) == "Your name cannot contain a NUL character."
    assert long.status_code == 400
    assert words(document(long).get_element_by_id("hall-name-error")) == "Please keep it under 60 characters."
    assert saved.status_code == 303
    card = read_guest_card(settings.secret_key, web.cookies[GUEST_COOKIE])
    assert card is not None and card.name == "Ana Lima"
    page = await web.get(f"/j/{code}")
    assert words(document(page).get_element_by_id("hall-as")) == (
        "You take part as a guest named Ana Lima, remembered on this device."
    )
    guest = await guest_in_room(database, settings, world, web, page)
    assert (guest.name, guest.kind, guest.key) == ("Ana Lima", "guest", card.key)


async def guest_in_room(
    database: Database, settings: Settings, world: World, phone: httpx.AsyncClient, page: httpx.Response
) -> Participant:
    """The participant the phone page's connection becomes: its room token and its guest cookie."""
    token = document(page).get_element_by_id("live").get("data-room-token")
    card = read_guest_card(settings.secret_key, phone.cookies[GUEST_COOKIE])
    assert card is not None
    async with database.session() as db:
        identity = await identify(
            db, secret=settings.secret_key, account=None, room_token=token, remembered=(card.guest_id, card.name)
        )
        return await admit(db, identity=identity, session_id=world.session.id or 0, secret=settings.secret_key)


@pytest.fixture
async def limited(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(dataclasses.replace(settings, live_guests_per_address=2), database, deliver_mail=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=ORIGIN) as client:
        yield client


async def test_new_guests_are_limited_per_address_and_remembered_ones_are_not(
    limited: httpx.AsyncClient, code: str
) -> None:
    answers = []
    for _ in range(3):
        limited.cookies.clear()
        answers.append(await limited.get(f"/j/{code}"))
    remembered = answers[1].headers["set-cookie"].split(";")[0].split("=", 1)[1]
    limited.cookies.set(GUEST_COOKIE, remembered)
    returning = await limited.get(f"/j/{code}")

    assert [answer.status_code for answer in answers] == [200, 200, 429]
    assert words(document(answers[2]).get_element_by_id("hall-code-error")) == (
        "Too many new guests from your network just now. Please try again in a minute."
    )
    assert returning.status_code == 200


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_signing_in_keeps_a_guests_questions_and_counts_a_shared_vote_once(
    web: httpx.AsyncClient, database: Database, settings: Settings, world: World, code: str
) -> None:
    page = await as_person(web, None).get(f"/j/{code}")
    guest = await guest_in_room(database, settings, world, web, page)
    delegate = world.delegate
    chair = factories.moderator_in(world.moderator, event=world.event, session=world.session)
    delegate_in_room = await admit_account(database, settings, world, delegate)
    session_id = world.session.id or 0
    async with database.session() as db:
        asked = await ask_question(
            db, actor=guest, session_id=session_id, text="Are the caves open?", anonymous=False, client_id="hall-q-001"
        )
        theirs = await ask_question(
            db, actor=chair, session_id=session_id, text="Any more?", anonymous=False, client_id="hall-q-002"
        )
        mine_id, theirs_id = asked.answer["question"]["id"], theirs.answer["question"]["id"]
        for question_id in (mine_id, theirs_id):
            await approve_question(db, actor=chair, session_id=session_id, question_id=question_id)
        poll = await create_poll(
            db, actor=chair, session_id=session_id, question="Lunch?", kind="single", options=["Yes", "No"],
            client_id="hall-p-001",
        )  # fmt: skip
        poll_id = poll.answer["poll"]["id"]
        await open_poll(db, actor=chair, session_id=session_id, poll_id=poll_id)
        options = (await db.exec(select(PollOption.id).where(PollOption.poll_id == poll_id))).all()
    ballots = [Ballot(guest, session_id, theirs_id, True), Ballot(delegate_in_room, session_id, theirs_id, True)]
    ballots.append(Ballot(guest, session_id, mine_id, True))
    async with database.session() as db:
        await vote_questions(db, ballots=ballots)
    async with database.session() as db:
        await vote_poll(db, actor=guest, session_id=session_id, poll_id=poll_id, option_ids=[options[0]])
        await vote_poll(db, actor=delegate_in_room, session_id=session_id, poll_id=poll_id, option_ids=[options[1]])

    signed_in = await sign_in(web, database, delegate.account.email)

    assert signed_in.status_code == 303
    assert GUEST_COOKIE not in web.cookies  # the phone starts a new guest after signing out
    async with database.session() as db:
        mine = await db.get_one(Question, mine_id)
        shared = await db.get_one(Question, theirs_id)
        votes = (await db.exec(select(QuestionVote.question_id, QuestionVote.voter_key))).all()
        ballots_left = (await db.exec(select(PollVote.voter_key, PollVote.option_id))).all()
        poll_row = await db.get_one(Poll, poll_id)
        counts = (await db.exec(select(PollOption.votes).where(PollOption.poll_id == poll_id))).all()
    assert (mine.author_key, mine.account_id) == (delegate.key, delegate.account.id)
    assert (mine.votes, shared.votes) == (1, 1)
    assert sorted(votes) == sorted([(mine_id, delegate.key), (theirs_id, delegate.key)])
    assert ballots_left == [(delegate.key, options[1])] and poll_row.voters == 1 and sorted(counts) == [0, 1]
    again = await web.get(f"/j/{code}")
    assert words(document(again).find_class("hall-guest")[0]).startswith("You You take part with your account.")


async def admit_account(database: Database, settings: Settings, world: World, person: factories.Person) -> Participant:
    async with database.session() as db:
        identity = await identify(db, secret=settings.secret_key, account=person.account)
        return await admit(db, identity=identity, session_id=world.session.id or 0, secret=settings.secret_key)


async def test_csrf_is_needed_to_name_a_guest(web: httpx.AsyncClient, code: str) -> None:
    await csrf(web)
    refused = await web.post(f"/j/{code}/name", data={"name": "Ana"})
    assert refused.status_code == 403
