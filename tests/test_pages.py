"""Server-rendered pages: the event list, the programme grid, filters, time zones, languages, sessions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import httpx
import lxml.html
import pytest
from sqlmodel import col, select

from server import clock
from server.agenda.models import Person, Room, Session, SessionSpeaker, Track
from server.db import Database, QueryCounter
from server.events.models import Event

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

SLUG = "dialogue"
UTC = dt.UTC


@dataclass
class Agenda:
    event_id: int
    room_ids: dict[str, int]


def utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, 10, day, hour, minute, tzinfo=UTC)


def make_session(
    event_id: int,
    code: str,
    title: str,
    kind: str,
    start: dt.datetime,
    minutes: int,
    room_id: int,
    track_id: int | None = None,
    abstract: str = "",
) -> Session:
    end = start + dt.timedelta(minutes=minutes)
    return Session(
        event_id=event_id,
        code=code,
        title=title,
        kind=kind,
        start=start,
        end=end,
        room_id=room_id,
        track_id=track_id,
        abstract=abstract,
    )


@pytest.fixture
async def agenda(database: Database) -> Agenda:
    """A two-day event in Beijing time: a plenary at 09:00, then two parallel sessions at 10:30."""
    async with database.session() as db:
        event = Event(
            slug=SLUG,
            title="Dialogue 2021",
            timezone="Asia/Shanghai",
            start_date=dt.date(2021, 10, 27),
            end_date=dt.date(2021, 10, 28),
            venue="Conference Centre",
            city="Beijing",
        )
        db.add(event)
        await db.flush()
        assert event.id is not None
        hall = Room(event_id=event.id, slug="hall", name="Main Hall", position=0)
        east = Room(event_id=event.id, slug="east", name="East Room", position=1)
        trade = Track(event_id=event.id, slug="trade", name="Trade and Investment")
        health = Track(event_id=event.id, slug="health", name="Public Health")
        speaker = Person(
            event_id=event.id, slug="mei", name="Mei Lin Harrow", organisation="Institute of Ports", country="CN"
        )
        db.add_all([hall, east, trade, health, speaker])
        await db.flush()
        assert hall.id and east.id
        abstract = "Welcome to the dialogue.\n\nThe agenda of the days ahead."
        opening = make_session(
            event.id, "opening", "Opening Plenary", "plenary", utc(27, 1), 60, hall.id, abstract=abstract
        )
        db.add_all(
            [
                opening,
                make_session(
                    event.id, "ports", "Ports and Corridors", "parallel", utc(27, 2, 30), 90, hall.id, trade.id
                ),
                make_session(
                    event.id, "vaccines", "Vaccine Supply Chains", "parallel", utc(27, 2, 30), 90, east.id, health.id
                ),
                make_session(event.id, "closing", "Closing Ceremony", "ceremony", utc(28, 8), 45, hall.id),
            ]
        )
        await db.flush()
        db.add(SessionSpeaker(session_id=opening.id, person_id=speaker.id))
        await db.commit()
        return Agenda(event_id=event.id, room_ids={"hall": hall.id, "east": east.id})


async def bump_version(db: Any, event_id: int) -> None:
    event = await db.get(Event, event_id)
    assert event is not None
    event.version += 1
    db.add(event)
    await db.commit()


def page(response: httpx.Response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def css(tree: lxml.html.HtmlElement, selector: str) -> list[lxml.html.HtmlElement]:
    """Elements for a small CSS subset (tags, classes, ids, [attr=value], descendants), without cssselect."""
    path = "."
    for step in selector.split():
        match = re.fullmatch(r"([a-z0-9]*)((?:[.#][\w-]+|\[[\w-]+(?:=[\w-]+)?\])*)", step)
        assert match is not None, step
        tag, rest = match.group(1) or "*", match.group(2)
        conditions = []
        for kind, name, value in re.findall(r"([.#\[])([\w-]+)(?:=([\w-]+))?", rest):
            if kind == ".":
                conditions.append(f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')")
            elif kind == "#":
                conditions.append(f"@id='{name}'")
            else:
                conditions.append(f"@{name}='{value}'" if value else f"@{name}")
        path += f"//{tag}" + "".join(f"[{condition}]" for condition in conditions)
    return list(tree.xpath(path))


def texts(tree: lxml.html.HtmlElement, selector: str) -> list[str]:
    return [" ".join(element.text_content().split()) for element in css(tree, selector)]


def card_titles(response: httpx.Response) -> list[str]:
    return texts(page(response), ".card-title")


def card_time(response: httpx.Response, title: str) -> str:
    for card in css(page(response), ".card"):
        if " ".join(css(card, ".card-title")[0].text_content().split()) == title:
            return " ".join(css(card, ".card-time")[0].text_content().split())
    raise AssertionError(f"no card titled {title!r}")


# The event list


async def test_events_index_lists_the_event_with_dates_and_city(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get("/", headers={"accept-language": "en"})

    assert response.status_code == 200
    tree = page(response)
    assert texts(tree, ".event-item h2") == ["Dialogue 2021"]
    assert css(tree, ".event-item h2 a")[0].get("href") == f"/{SLUG}/"
    assert texts(tree, ".event-item .event-meta") == ["Oct 27 – 28, 2021 Beijing"]


# The programme grid


@BOTH_BACKENDS
async def test_agenda_grid_puts_parallel_sessions_in_one_time_row(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/")

    assert response.status_code == 200
    tree = page(response)
    first_day = css(tree, "section.day")[0]
    assert texts(first_day, ".grid-room") == ["Main Hall", "East Room"]
    slots = css(first_day, ".slot")
    assert [texts(slot, ".slot-time") for slot in slots] == [["09:00"], ["10:30"]]
    parallel = css(slots[1], ".card")
    assert texts(slots[1], ".card-title") == ["Ports and Corridors", "Vaccine Supply Chains"]
    # Same row of the grid, side by side in the two rooms' columns.
    assert [set(card.classes) & {"r3", "re4", "c2", "c3"} for card in parallel] == [
        {"r3", "re4", "c2"},
        {"r3", "re4", "c3"},
    ]


async def test_agenda_grid_gives_overlapping_sessions_in_one_room_their_own_lanes(
    client: httpx.AsyncClient, agenda: Agenda, database: Database
) -> None:
    async with database.session() as db:
        db.add(
            make_session(agenda.event_id, "demo", "Live Demo", "exhibition", utc(27, 2), 60, agenda.room_ids["hall"])
        )
        await bump_version(db, agenda.event_id)

    response = await client.get(f"/{SLUG}/")

    first_day = css(page(response), "section.day")[0]
    rooms = css(first_day, ".grid-room")
    assert [(room.text_content(), room.get("class")) for room in rooms] == [
        ("Main Hall", "grid-room c2 ce4"),
        ("East Room", "grid-room c4 ce5"),
    ]
    columns = {
        title.text_content(): set(title.getparent().classes) & {"c2", "c3", "c4"}
        for title in css(first_day, ".card-title")
    }
    assert columns == {
        "Opening Plenary": {"c2"},
        "Live Demo": {"c2"},
        "Ports and Corridors": {"c3"},
        "Vaccine Supply Chains": {"c4"},
    }


async def test_agenda_lists_all_day_items_above_the_grid(
    client: httpx.AsyncClient, agenda: Agenda, database: Database
) -> None:
    async with database.session() as db:
        db.add(
            make_session(
                agenda.event_id, "expo", "Photo Exhibition", "exhibition", utc(27, 1), 8 * 60, agenda.room_ids["east"]
            )
        )
        await bump_version(db, agenda.event_id)

    response = await client.get(f"/{SLUG}/", headers={"accept-language": "en"})

    first_day = css(page(response), "section.day")[0]
    assert texts(first_day, ".running h3") == ["Open throughout the day"]
    assert texts(first_day, ".running .card-title") == ["Photo Exhibition"]
    assert "Photo Exhibition" not in texts(first_day, ".agenda-grid .card-title")


async def test_agenda_card_shows_time_kind_room_and_speakers(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", headers={"accept-language": "en"})

    card = css(page(response), ".card")[0]
    # The 2021 session has ended: its phase (server/phases) says so on the card.
    assert " ".join(card.text_content().split()) == (
        "Opening Plenary Ended 09:00–10:00 Plenary Room: Main Hall Speakers: Mei Lin Harrow"
    )
    assert css(card, "a")[0].get("href") == f"/{SLUG}/sessions/opening"


async def test_agenda_address_without_trailing_slash_redirects(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}")

    assert (response.status_code, response.headers["location"]) == (307, f"http://podium.test/{SLUG}/")


async def test_agenda_links_to_the_exports(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/")

    links = [link.get("href") for link in css(page(response), ".exports a")]
    assert links == [f"/{SLUG}/schedule.ics", f"/{SLUG}/schedule.xml", f"/{SLUG}/schedule.json"]


# Search and filters


async def test_agenda_search_finds_a_session_by_speaker_name(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", params={"q": "harrow"}, headers={"accept-language": "en"})

    assert response.status_code == 200
    assert texts(page(response), "#results-heading") == ["1 session found"]
    assert card_titles(response) == ["Opening Plenary"]


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        ({"day": "2021-10-28"}, ["Closing Ceremony"]),
        ({"track": "health"}, ["Vaccine Supply Chains"]),
        ({"room": "east"}, ["Vaccine Supply Chains"]),
        ({"kind": "parallel"}, ["Ports and Corridors", "Vaccine Supply Chains"]),
        ({"room": "hall", "day": "2021-10-27"}, ["Opening Plenary", "Ports and Corridors"]),
        ({"q": "corridors", "kind": "plenary"}, []),
    ],
)
async def test_agenda_filters_narrow_the_sessions(
    client: httpx.AsyncClient, agenda: Agenda, params: dict[str, str], titles: list[str]
) -> None:
    response = await client.get(f"/{SLUG}/", params=params)

    assert response.status_code == 200
    assert card_titles(response) == titles


async def test_agenda_filter_form_keeps_time_zone_and_language(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", params={"tz": "Asia/Tokyo", "lang": "en", "q": "ports"})

    form = css(page(response), "form[role=search]")[0]
    hidden = {field.get("name"): field.get("value") for field in css(form, "input[type=hidden]")}
    assert hidden == {"lang": "en", "tz": "Asia/Tokyo"}
    assert css(form, "#filter-q")[0].get("value") == "ports"


# Time zones


@pytest.mark.parametrize(
    ("zone", "opening", "ports"),
    [
        ("Asia/Jakarta", "08:00–09:00", "09:30–11:00"),
        ("Asia/Tehran", "04:30–05:30", "06:00–07:30"),
        ("Asia/Tokyo", "10:00–11:00", "11:30–13:00"),
        ("UTC", "01:00–02:00", "02:30–04:00"),
    ],
)
async def test_agenda_time_zone_switch_converts_times(
    client: httpx.AsyncClient, agenda: Agenda, zone: str, opening: str, ports: str
) -> None:
    response = await client.get(f"/{SLUG}/", params={"tz": zone}, headers={"accept-language": "en"})

    assert response.status_code == 200
    assert card_time(response, "Opening Plenary") == opening
    assert card_time(response, "Ports and Corridors") == ports
    notice = texts(page(response), ".zone-converted strong")[0]
    assert notice.startswith(f"Times are shown in {zone} (")


async def test_agenda_in_event_zone_says_so(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", headers={"accept-language": "en"})

    assert card_time(response, "Opening Plenary") == "09:00–10:00"
    assert texts(page(response), ".zone-notice") == ["Times are in the event's time zone: Asia/Shanghai (China Time)."]


async def test_agenda_keeps_event_days_when_a_zone_moves_a_session_to_another_date(
    client: httpx.AsyncClient, agenda: Agenda
) -> None:
    response = await client.get(
        f"/{SLUG}/", params={"tz": "America/New_York", "day": "all"}, headers={"accept-language": "en"}
    )

    tree = page(response)
    assert texts(tree, "section.day h2") == ["Wednesday, October 27, 2021", "Thursday, October 28, 2021"]
    assert card_time(response, "Opening Plenary") == "21:00–22:00 (Oct 26, 2021)"


async def test_agenda_session_links_keep_time_zone_and_language(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", params={"tz": "Asia/Jakarta", "lang": "zh-Hans"})

    link = css(page(response), ".card-title a")[0].get("href")
    assert link == f"/{SLUG}/sessions/opening?lang=zh-Hans&tz=Asia%2FJakarta"


async def test_agenda_offers_the_visitors_own_zone_to_the_script(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", headers={"accept-language": "en"})

    holder = css(page(response), "[data-local-zone]")[0]
    assert holder.get("data-current") == "Asia/Shanghai"
    assert holder.get("data-label") == "Show in my time zone ({zone})"


# Languages


async def test_agenda_in_chinese(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", params={"lang": "zh-Hans", "tz": "Asia/Jakarta", "day": "all"})

    tree = page(response)
    assert tree.get("lang") == "zh-Hans"
    assert texts(tree, "section.day h2") == ["2021年10月27日星期三", "2021年10月28日星期四"]
    assert texts(tree, ".exports h2") == ["下载日程"]
    assert texts(tree, ".zone-converted strong")[0].startswith("时间按 Asia/Jakarta（")
    assert texts(tree, ".card-kind")[0] == "全体大会"
    assert card_time(response, "Opening Plenary") == "08:00–09:00"


async def test_language_switch_keeps_path_and_query(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", params={"q": "ports", "tz": "Asia/Tokyo"})

    links = css(page(response), ".language-switch a")
    assert [(link.text_content(), link.get("href")) for link in links] == [
        ("English", f"/{SLUG}/?lang=en&tz=Asia%2FTokyo&q=ports"),
        ("简体中文", f"/{SLUG}/?lang=zh-Hans&tz=Asia%2FTokyo&q=ports"),
        ("日本語", f"/{SLUG}/?lang=ja&tz=Asia%2FTokyo&q=ports"),
        ("한국어", f"/{SLUG}/?lang=ko&tz=Asia%2FTokyo&q=ports"),
        ("Bahasa Indonesia", f"/{SLUG}/?lang=id&tz=Asia%2FTokyo&q=ports"),
        ("العربية", f"/{SLUG}/?lang=ar&tz=Asia%2FTokyo&q=ports"),
    ]


async def test_language_is_remembered_from_the_switch(client: httpx.AsyncClient, agenda: Agenda) -> None:
    await client.get(f"/{SLUG}/", params={"lang": "zh-Hans"})

    response = await client.get(f"/{SLUG}/")

    assert page(response).get("lang") == "zh-Hans"


@pytest.mark.parametrize(
    ("accept_language", "lang", "direction"),
    [("ja-JP,ja;q=0.9", "ja", "ltr"), ("ko-KR", "ko", "ltr"), ("in", "id", "ltr"), ("ar-EG,en;q=0.5", "ar", "rtl")],
)
async def test_page_language_and_direction_follow_the_browser(
    client: httpx.AsyncClient, agenda: Agenda, accept_language: str, lang: str, direction: str
) -> None:
    response = await client.get(f"/{SLUG}/", headers={"accept-language": accept_language})

    assert (page(response).get("lang"), page(response).get("dir")) == (lang, direction)


# The session page


async def test_session_page_shows_details_and_speakers(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/sessions/opening", headers={"accept-language": "en"})

    assert response.status_code == 200
    tree = page(response)
    assert texts(tree, "h1") == ["Opening Plenary"]
    facts = dict(zip(texts(tree, ".session-facts dt"), texts(tree, ".session-facts dd"), strict=True))
    assert facts == {
        "Kind": "Plenary",
        "Time": "Wednesday, October 27, 2021, 09:00–10:00 (Asia/Shanghai, China Time)",
        "Room": "Main Hall",
        "Language": "English",
    }
    assert texts(css(tree, "section")[0], "p") == ["Welcome to the dialogue.", "The agenda of the days ahead."]
    assert texts(tree, ".speaker-list li") == ["Mei Lin Harrow Institute of Ports, China"]
    calendar = css(tree, ".calendar-link a")[0]
    assert (calendar.text_content(), calendar.get("href")) == ("Add to your calendar", f"/{SLUG}/sessions/opening.ics")
    assert css(tree, ".back a")[0].get("href") == f"/{SLUG}/?day=2021-10-27"


async def test_session_page_in_chinese_and_another_zone(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/sessions/opening", params={"lang": "zh-Hans", "tz": "Asia/Tehran"})

    tree = page(response)
    facts = dict(zip(texts(tree, ".session-facts dt"), texts(tree, ".session-facts dd"), strict=True))
    assert facts["时间"].startswith("2021年10月27日星期三 04:30–05:30 (Asia/Tehran, ")
    assert facts["语言"] == "英语"
    assert texts(tree, ".speaker-list li") == ["Mei Lin Harrow Institute of Ports（中国）"]
    assert css(tree, ".back a")[0].get("href") == f"/{SLUG}/?lang=zh-Hans&tz=Asia%2FTehran&day=2021-10-27"


# Errors


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/nowhere/", {}, 404, "There is no event called 'nowhere'."),
        (f"/{SLUG}/sessions/nothing", {}, 404, "There is no session 'nothing' in this event."),
        (f"/{SLUG}/", {"day": "2021-11-02"}, 404, "This event has no day 2021-11-02."),
        (f"/{SLUG}/", {"day": "someday"}, 400, "'someday' is not a date; use the form 2021-10-27."),
        (f"/{SLUG}/", {"track": "sports"}, 404, "This event has no track 'sports'."),
        (f"/{SLUG}/", {"room": "attic"}, 404, "This event has no room 'attic'."),
        (f"/{SLUG}/", {"kind": "party"}, 400, "'party' is not a kind of session."),
        (
            f"/{SLUG}/",
            {"tz": "Mars/Olympus"},
            400,
            "'Mars/Olympus' is not a time zone we know; use a name such as Asia/Jakarta.",
        ),
        (
            f"/{SLUG}/sessions/opening",
            {"tz": "Nowhere"},
            400,
            "'Nowhere' is not a time zone we know; use a name such as Asia/Jakarta.",
        ),
    ],
)
async def test_page_errors_explain_themselves(
    client: httpx.AsyncClient, agenda: Agenda, path: str, params: dict[str, str], status: int, message: str
) -> None:
    response = await client.get(path, params=params, headers={"accept-language": "en"})

    assert response.status_code == status
    assert texts(page(response), ".error-message") == [message]


async def test_unknown_time_zone_message_in_chinese(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", params={"tz": "Mars/Olympus", "lang": "zh-Hans"})

    assert response.status_code == 400
    tree = page(response)
    assert texts(tree, "h1") == ["请求有误"]
    assert texts(tree, ".error-message") == ["无法识别时区“Mars/Olympus”；请使用 Asia/Jakarta 这样的时区名称。"]


async def test_unknown_language_is_a_bad_request(client: httpx.AsyncClient, agenda: Agenda) -> None:
    response = await client.get(f"/{SLUG}/", params={"lang": "tlh"})

    assert response.status_code == 400
    assert "tlh" in response.text
    assert "zh-Hans" in response.text


# Safety


@BOTH_BACKENDS
async def test_user_text_is_escaped(client: httpx.AsyncClient, agenda: Agenda, database: Database) -> None:
    async with database.session() as db:
        opening = (await db.exec(select(Session).where(Session.code == "opening"))).one()
        opening.title = "<script>alert('x')</script> & more"
        db.add(opening)
        await bump_version(db, agenda.event_id)

    for path in (f"/{SLUG}/", f"/{SLUG}/sessions/opening"):
        response = await client.get(path)
        assert "<script>alert" not in response.text
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more" in response.text


# Speed: queries and the page cache


async def query_count(client: httpx.AsyncClient, path: str, **params: str) -> tuple[int, httpx.Response]:
    with QueryCounter() as counted:
        response = await client.get(path, params=params)
    assert response.status_code == 200
    return counted.count, response


async def add_hundred_sessions(database: Database, agenda: Agenda) -> None:
    async with database.session() as db:
        people = []
        for number in range(100):
            person = Person(event_id=agenda.event_id, slug=f"guest-{number}", name=f"Guest {number}")
            db.add(person)
            people.append(person)
        await db.flush()
        for number in range(100):
            room_id = agenda.room_ids["hall" if number % 2 else "east"]
            start = utc(27, 5) + dt.timedelta(minutes=30 * (number // 2))
            session = make_session(
                agenda.event_id, f"extra-{number}", f"Extra {number}", "parallel", start, 30, room_id
            )
            db.add(session)
            await db.flush()
            db.add(SessionSpeaker(session_id=session.id, person_id=people[number].id))
        await bump_version(db, agenda.event_id)


@BOTH_BACKENDS
async def test_agenda_query_count_does_not_grow_with_sessions(
    client: httpx.AsyncClient, agenda: Agenda, database: Database
) -> None:
    small, _response = await query_count(client, f"/{SLUG}/", tz="Asia/Tokyo", day="all")
    await add_hundred_sessions(database, agenda)

    large, response = await query_count(client, f"/{SLUG}/", tz="Asia/Tokyo", day="all")

    assert len(card_titles(response)) == 104
    assert large == small


@BOTH_BACKENDS
async def test_agenda_cache_hit_reads_only_the_event_row(
    client: httpx.AsyncClient, agenda: Agenda, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The agenda is cached for the minute it was made in ("Now" and today's tab): both requests fall in one.
    monkeypatch.setattr(clock, "utcnow", lambda: utc(27, 2, 0))
    first, first_response = await query_count(client, f"/{SLUG}/", q="ports")

    second, second_response = await query_count(client, f"/{SLUG}/", q="ports")

    assert second == 1  # only the event's stamp is read
    assert first > second
    assert second_response.text == first_response.text


@BOTH_BACKENDS
async def test_agenda_cache_follows_the_event_version(
    client: httpx.AsyncClient, agenda: Agenda, database: Database
) -> None:
    await client.get(f"/{SLUG}/")
    async with database.session() as db:
        ports = (await db.exec(select(Session).where(col(Session.code) == "ports"))).one()
        ports.title = "Ports, Corridors and Railways"
        db.add(ports)
        await bump_version(db, agenda.event_id)

    response = await client.get(f"/{SLUG}/")

    assert "Ports, Corridors and Railways" in card_titles(response)


async def test_agenda_cache_separates_languages(client: httpx.AsyncClient, agenda: Agenda) -> None:
    english = await client.get(f"/{SLUG}/", headers={"accept-language": "en"})
    chinese = await client.get(f"/{SLUG}/", headers={"accept-language": "zh-CN"})

    assert (page(english).get("lang"), page(chinese).get("lang")) == ("en", "zh-Hans")


# The demo event


async def test_demo_event_pages_render(client: httpx.AsyncClient, demo_event: str) -> None:
    response = await client.get(f"/{demo_event}/")
    assert response.status_code == 200
    links = [link.get("href") for link in css(page(response), ".card-title a")]
    assert links

    for link in links:
        session = await client.get(link)
        assert session.status_code == 200, link


async def test_agenda_is_sent_gzipped_and_answers_conditional_requests(
    client: httpx.AsyncClient, agenda: Agenda
) -> None:
    first = await client.get(f"/{SLUG}/", headers={"accept-encoding": "gzip"})
    etag = first.headers["etag"]

    again = await client.get(f"/{SLUG}/", headers={"accept-encoding": "gzip", "if-none-match": etag})

    assert (first.status_code, first.headers["content-encoding"]) == (200, "gzip")
    assert card_titles(first)[0] == "Opening Plenary"  # httpx decompresses
    assert (again.status_code, again.content) == (304, b"")
