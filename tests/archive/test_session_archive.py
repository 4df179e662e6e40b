"""A session's archive after its end (``GET /{slug}/sessions/{code}/archive``): who sees what, on SQLite and
PostgreSQL. The room's history is made through the live rooms' own services (ask, vote, answer, reject, archive,
polls), as a moderator and delegates would in the room."""

from __future__ import annotations

import datetime as dt

import httpx
import lxml.html
import pytest
from sqlmodel import select

from server import clock
from server.accounts.models import Role
from server.agenda.models import Session
from server.archive.models import SessionArchive
from server.db import Database, QueryCounter
from server.live import questions
from server.live.models import Question
from tests.support.factories import Person
from tests.support.http import as_person
from tests.support.room_history import (
    ANSWERED,
    ANSWERED_ANONYMOUSLY,
    DRAFT_POLL,
    HIDDEN,
    HIDDEN_POLL,
    HOSTILE,
    REJECTED,
    SHOWN_POLL,
    UNANSWERED,
    ask,
    build_room,
    in_room,
    poll,
)
from tests.support.world import World

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)


def fragment(response: httpx.Response) -> lxml.html.HtmlElement | None:
    found = lxml.html.fromstring(f"<div>{response.text}</div>").find_class("session-archive")
    return found[0] if found else None


def texts(response: httpx.Response, class_name: str) -> list[str]:
    archive = fragment(response)
    if archive is None:
        return []
    return [" ".join(element.text_content().split()) for element in archive.find_class(class_name)]


def texts_in_page(response: httpx.Response, class_name: str) -> list[str]:
    document = lxml.html.fromstring(response.text)
    return [" ".join(element.text_content().split()) for element in document.find_class(class_name)]


async def fetch(web: httpx.AsyncClient, world: World, person: Person | None) -> httpx.Response:
    return await as_person(web, person).get(world.path("archive"))


async def publish_archive(database: Database, session: Session) -> None:
    async with database.session() as db:
        db.add(SessionArchive(session_id=session.id or 0, event_id=session.event_id, archive_published=True))
        await db.commit()


@BOTH_BACKENDS
async def test_archive_delegate_sees_answered_questions_and_shown_poll_results(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    await build_room(database, world)

    response = await fetch(web, world, world.delegate)

    assert response.status_code == 200
    assert texts(response, "question-text") == [ANSWERED, ANSWERED_ANONYMOUSLY, HOSTILE]  # most votes first
    assert texts(response, "question-author") == ["Ayu Online", "Anonymous", "Ayu Online"]
    assert texts(response, "question-votes") == ["2 votes", "1 vote", "0 votes"]
    assert texts(response, "poll-question") == [SHOWN_POLL]
    assert texts(response, "result-count") == ["2 (67%)", "1 (33%)"]
    assert texts(response, "poll-voters") == ["3 people voted"]
    assert response.headers["cache-control"] == "private, no-cache"


@BOTH_BACKENDS
async def test_archive_never_shows_unanswered_rejected_hidden_questions_or_unpublished_results(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    await build_room(database, world)
    await publish_archive(database, world.session)

    for person in (None, world.delegate, world.speaker, world.outsider):
        response = await fetch(web, world, person)
        for absent in (UNANSWERED, REJECTED, HIDDEN, HIDDEN_POLL, DRAFT_POLL, "Bima Onsite"):
            assert absent not in response.text


@BOTH_BACKENDS
async def test_archive_moderator_sees_every_question_and_poll(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    await build_room(database, world)

    response = await fetch(web, world, world.moderator)

    assert sorted(texts(response, "question-text")) == sorted(
        [ANSWERED, ANSWERED_ANONYMOUSLY, HOSTILE, UNANSWERED, REJECTED, HIDDEN]
    )
    assert "Bima Onsite (anonymous to the audience)" in texts(response, "question-author")
    assert texts(response, "poll-question") == [SHOWN_POLL, HIDDEN_POLL, DRAFT_POLL]
    archive = fragment(response)
    assert archive is not None
    rejected = next(item for item in archive.find_class("archive-question") if REJECTED in item.text_content())
    assert [tag.get("class") for tag in rejected.find_class("tag")] == ["tag tag-rejected", "tag tag-unanswered"]


@BOTH_BACKENDS
async def test_archive_for_delegates_and_staff_until_published(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    await build_room(database, world)

    for person in (world.delegate, world.onsite, world.speaker, world.organiser):
        assert texts(await fetch(web, world, person), "question-text")[0] == ANSWERED
    anonymous = await fetch(web, world, None)
    outsider = await fetch(web, world, world.outsider)
    other = await fetch(web, world, world.other_moderator)

    for response in (anonymous, outsider, other):
        assert response.status_code == 200
        assert texts(response, "question-text") == []
        assert texts(response, "archive-restricted")[0].startswith(
            "The answered questions and poll results of this session are for the event's delegates."
        )
    sign_in = lxml.html.fromstring(anonymous.text).xpath("//a")[0].get("href")
    assert sign_in.startswith("/signin?next=")
    assert lxml.html.fromstring(outsider.text).xpath("//a") == []

    await publish_archive(database, world.session)

    for person in (None, world.outsider, world.other_moderator):
        assert texts(await fetch(web, world, person), "question-text") == [ANSWERED, ANSWERED_ANONYMOUSLY, HOSTILE]


@BOTH_BACKENDS
async def test_archive_empty_before_the_end(
    web: httpx.AsyncClient, database: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_room(database, world)
    await publish_archive(database, world.session)
    during = world.session.end - dt.timedelta(minutes=1)
    monkeypatch.setattr(clock, "utcnow", lambda: during)

    for person in (None, world.delegate, world.moderator, world.organiser):
        response = await fetch(web, world, person)
        assert response.status_code == 200
        assert fragment(response) is None

    monkeypatch.setattr(clock, "utcnow", lambda: world.session.end)
    assert texts(await fetch(web, world, world.delegate), "question-text")[0] == ANSWERED


async def test_archive_of_a_session_that_left_nothing_shows_nothing(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    """Another session of the event had no answered question and no shown result: no empty section, no refusal."""
    await build_room(database, world)
    second = world.path("archive", session=world.second)

    for person in (None, world.delegate, world.moderator):
        response = await as_person(web, person).get(second)
        assert (response.status_code, fragment(response)) == (200, None)
    page = await as_person(web, world.delegate).get(second, headers={"sec-fetch-mode": "navigate"})
    assert texts_in_page(page, "archive-empty") == [
        "No questions were answered and no poll results were shown in this session."
    ]


@BOTH_BACKENDS
async def test_archive_escapes_user_text(web: httpx.AsyncClient, database: Database, world: World) -> None:
    await build_room(database, world)

    response = await fetch(web, world, world.delegate)

    assert "<script>" not in response.text
    assert "&lt;script&gt;alert(&#39;archive&#39;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in response.text
    archive = fragment(response)
    assert archive is not None
    assert archive.xpath(".//script | .//b") == []
    assert HOSTILE in texts(response, "question-text")


@BOTH_BACKENDS
async def test_archive_of_another_events_session_is_not_found(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    await build_room(database, world)
    await publish_archive(database, world.session)
    other_event = world.other_event.slug

    theirs_through_ours = await as_person(web, world.delegate).get(world.path("archive", session=world.other_session))
    ours_through_theirs = await as_person(web, world.other_moderator).get(
        f"/{other_event}/sessions/{world.session.code}/archive"
    )
    unknown = await as_person(web, world.delegate).get(f"/{world.event.slug}/sessions/no-such-session/archive")

    assert (theirs_through_ours.status_code, ours_through_theirs.status_code, unknown.status_code) == (404, 404, 404)
    for response in (theirs_through_ours, ours_through_theirs):
        assert ANSWERED not in response.text


async def test_archive_address_with_nul_byte_is_refused(web: httpx.AsyncClient, world: World) -> None:
    response = await as_person(web, world.delegate).get(f"/{world.event.slug}/sessions/a%00b/archive")

    assert response.status_code == 400
    assert "This address contains characters Podium cannot accept, such as a NUL byte." in response.text


async def test_session_page_has_one_archive_placeholder(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    response = await as_person(web, world.delegate).get(f"/{world.event.slug}/sessions/{world.session.code}")

    document = lxml.html.fromstring(response.text)
    slots = document.find_class("session-archive-slot")
    assert [slot.get("data-archive-url") for slot in slots] == [world.path("archive")]
    # The page is shared by everyone: the archive itself is never baked into it.
    assert document.find_class("session-archive") == []


async def test_archive_kept_briefly_per_kind_of_viewer(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    """The fragment is kept briefly per kind of viewer: a second delegate's request renders nothing new."""
    await build_room(database, world)
    first = await fetch(web, world, world.delegate)
    async with database.session() as db:
        question = (await db.exec(select(Question).where(Question.text == UNANSWERED))).one()
        question.answered = True
        db.add(question)
        await db.commit()

    second = await fetch(web, world, world.onsite)

    assert second.text == first.text


async def test_archive_link_opens_a_page_without_scripts(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    await build_room(database, world)

    response = await as_person(web, world.delegate).get(world.path("archive"), headers={"sec-fetch-mode": "navigate"})

    document = lxml.html.fromstring(response.text)
    assert response.status_code == 200
    assert document.xpath("//h1")[0].text_content() == world.session.title
    assert texts(response, "question-text") == [ANSWERED, ANSWERED_ANONYMOUSLY, HOSTILE]
    back = document.find_class("back")[0].xpath(".//a")[0].get("href")
    assert back == f"/{world.event.slug}/sessions/{world.session.code}"
    assert "Sec-Fetch-Mode" in response.headers["vary"]


@BOTH_BACKENDS
async def test_archive_costs_a_fixed_number_of_statements(
    web: httpx.AsyncClient, database: Database, world: World
) -> None:
    """However many questions and polls a room had; and a second viewer of the same kind reads no question."""
    await build_room(database, world)
    busy = world.second
    moderator = in_room(world.moderator, busy, roles=frozenset({Role.moderator}), name="Chair Person", country="")
    async with database.session() as db:
        for number in range(25):
            question_id = await ask(db, moderator, busy, f"Question number {number}")
            await questions.answer_question(
                db, actor=moderator, session_id=busy.id or 0, question_id=question_id, answered=True
            )
        for number in range(4):
            await poll(db, moderator, busy, f"Poll number {number}", opened=True, shown=True)
    as_person(web, world.delegate)

    with QueryCounter() as small:
        await web.get(world.path("archive"))
    with QueryCounter() as large:
        shown = await web.get(world.path("archive", session=busy))
    as_person(web, world.onsite)
    with QueryCounter() as again:
        await web.get(world.path("archive", session=busy))

    assert len(texts(shown, "question-text")) == 25
    assert len(texts(shown, "poll-question")) == 4
    assert large.count == small.count, (small.count, large.count, again.count)
    assert again.count <= large.count - 3, (
        large.count,
        again.count,
    )  # the questions, polls and options come from the page cache
