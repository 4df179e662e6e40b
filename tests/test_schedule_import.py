"""Importing schedules in the browser (httpx posts): a pretalx export as a new event and into an existing one, the
preview, "Apply", re-imports that change nothing, files with errors that change nothing, the event file's bytes."""

from __future__ import annotations

import json

import httpx
import pytest
from lxml import etree
from sqlmodel import col, func, select

from server.accounts.admin import grant_admin
from server.accounts.models import Role
from server.agenda.interchange import DEMO_EVENT_FILE
from server.agenda.models import Person, Room, Session, SessionSpeaker, Track
from server.audit.models import AuditEntry
from server.db import Database
from server.events.models import Event
from server.events.services import get_event
from server.registration.models import SessionChoice
from server.registration.seats import pick_session
from tests.support.factories import delegates, other_event, staff
from tests.support.html import page, with_class
from tests.support.http import csrf, signed_in_as
from tests.support.standards import PRETALX_EXAMPLE, frab_json_errors, frab_xml_schema

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

ORGANISER = "organiser@example.org"
ADMIN = "admin@example.org"


def pretalx() -> dict:
    return json.loads(PRETALX_EXAMPLE.read_text(encoding="utf-8"))


def pretalx_counts() -> dict[str, int]:
    events = [e for day in pretalx()["schedule"]["conference"]["days"] for r in day["rooms"].values() for e in r]
    return {
        "sessions": len(events),
        "rooms": len({e["room"] for e in events}),
        "speakers": len({p["code"] for e in events for p in e["persons"]}),
        "links": sum(len(e["persons"]) for e in events),
    }


async def upload(client: httpx.AsyncClient, path: str, text: str, name: str = "schedule.json") -> httpx.Response:
    files = {"file": (name, text.encode("utf-8"), "application/json")}
    return await client.post(path, data={"csrf_token": await csrf(client)}, files=files)


async def apply(client: httpx.AsyncClient, preview: httpx.Response) -> httpx.Response:
    form = page(preview).xpath("//form[contains(@class, 'import-apply')]")[0]
    digest = form.xpath(".//input[@name='digest']/@value")[0]
    return await client.post(form.get("action"), data={"csrf_token": await csrf(client), "digest": digest})


def counts(preview: httpx.Response) -> dict[str, list[str]]:
    rows = page(preview).xpath("//table[contains(@class, 'import-counts')]/tbody/tr")
    return {row.get("data-kind"): [cell.text_content() for cell in row.xpath("td")] for row in rows}


async def programme_counts(database: Database, slug: str) -> dict[str, int]:
    async with database.session() as db:
        event = await get_event(db, slug=slug)

        async def number(table: type, *where: object) -> int:
            return int((await db.exec(select(func.count()).select_from(table).where(*where))).one())

        sessions = select(col(Session.id)).where(Session.event_id == event.id)
        return {
            "sessions": await number(Session, Session.event_id == event.id),
            "rooms": await number(Room, Room.event_id == event.id),
            "speakers": await number(Person, Person.event_id == event.id),
            "links": await number(SessionSpeaker, col(SessionSpeaker.session_id).in_(sessions)),
            "tracks": await number(Track, Track.event_id == event.id),
        }


async def test_pretalx_example_imports_as_a_new_event_with_every_session_room_and_speaker(client, database):
    async with database.session() as db:
        await grant_admin(db, email=ADMIN)
    await signed_in_as(client, database, ADMIN)

    preview = await upload(client, "/admin/import", PRETALX_EXAMPLE.read_text(encoding="utf-8"))
    applied = await apply(client, preview)

    assert preview.status_code == 200, preview.text
    expected = pretalx_counts()
    assert counts(preview)["session"] == [str(expected["sessions"]), "0", "0"]
    assert counts(preview)["room"] == [str(expected["rooms"]), "0", "0"]
    assert counts(preview)["person"] == [str(expected["speakers"]), "0", "0"]
    notes = [" ".join(li.text_content().split()) for li in with_class(preview, "import-notes")[0].xpath("li")]
    assert notes == [
        '27 sessions of type "Talk" become "parallel": Podium has no such kind.',
        '9 sessions of type "Workshop" become "parallel": Podium has no such kind.',
    ]
    assert (applied.status_code, applied.headers["location"]) == (303, "/democon/organiser/import?applied=1")
    assert await programme_counts(database, "democon") == {**expected, "tracks": 2}
    schedule = await client.get("/democon/schedule.json")
    assert frab_json_errors(schedule.json()) == []
    xml_schema = frab_xml_schema()
    assert xml_schema.validate(etree.fromstring((await client.get("/democon/schedule.xml")).content)), (
        xml_schema.error_log
    )
    guids = {e["guid"] for d in pretalx()["schedule"]["conference"]["days"] for r in d["rooms"].values() for e in r}
    exported = schedule.json()["schedule"]["conference"]["days"]
    assert {e["guid"] for d in exported for r in d["rooms"].values() for e in r} == guids
    async with database.session() as db:
        entry = (await db.exec(select(AuditEntry).where(AuditEntry.action == "import.apply"))).one()
    assert entry.actor_email == ADMIN
    assert entry.after is not None and entry.after["new"]["session"] == expected["sessions"]


async def test_second_import_of_the_same_file_shows_no_changes_and_keeps_ids(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)
    first = await apply(client, await upload(client, f"/{demo_event}/organiser/import", PRETALX_EXAMPLE.read_text()))
    async with database.session() as db:
        ids = sorted((await db.exec(select(Session.id, Session.code).where(Session.event_id == event.id))).all())
        version = (await get_event(db, slug=demo_event)).version

    again = await upload(client, f"/{demo_event}/organiser/import", PRETALX_EXAMPLE.read_text())

    assert first.status_code == 303
    assert again.status_code == 200
    assert " ".join(with_class(again, "import-nothing")[0].text_content().split()) == (
        "No changes: the event already holds this schedule."
    )
    assert page(again).xpath("//form[contains(@class, 'import-apply')]") == []
    async with database.session() as db:
        assert (
            sorted((await db.exec(select(Session.id, Session.code).where(Session.event_id == event.id))).all()) == ids
        )
        assert (await get_event(db, slug=demo_event)).version == version


async def test_import_into_an_existing_event_names_changes_and_keeps_picked_sessions(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, ORGANISER)
        [delegate] = await delegates(db, event, 1)
    await signed_in_as(client, database, ORGANISER)
    await apply(client, await upload(client, f"/{demo_event}/organiser/import", PRETALX_EXAMPLE.read_text()))
    async with database.session() as db:
        picked = (await db.exec(select(Session).where(Session.event_id == event.id, Session.code == "G9JGWY"))).one()
        version = (await get_event(db, slug=demo_event)).version
    async with database.session() as db:
        await pick_session(db, event=event, account=delegate, session_id=picked.id or 0)
    changed = pretalx()
    day = changed["schedule"]["conference"]["days"][0]["rooms"]
    first, second = day["Gray Room"][0], day["Gray Room"][1]
    assert first["url"].endswith("/G9JGWY/")
    day["Gray Room"].remove(first)  # picked: kept
    second["title"] = "Renamed talk"

    preview = await upload(client, f"/{demo_event}/organiser/import", json.dumps(changed))
    applied = await apply(client, preview)

    changed_items = [" ".join(li.text_content().split()) for li in with_class(preview, "import-changed")[0].xpath("li")]
    assert changed_items == [f"Sessions: Renamed talk ({second['url'].rstrip('/').rsplit('/', 1)[1]}) – title"]
    kept = " ".join(with_class(preview, "import-kept")[0].text_content().split())
    assert kept == (
        "Focused 5thgeneration hardware (G9JGWY): 1 people picked it, so it stays; cancel it in the programme instead."
    )
    assert applied.status_code == 303
    async with database.session() as db:
        still = await db.get(Session, picked.id)
        assert still is not None and still.title == "Focused 5thgeneration hardware"
        assert (await db.exec(select(func.count()).select_from(SessionChoice))).one() == 1
        assert (await get_event(db, slug=demo_event)).version == version + 1


async def test_file_with_errors_names_each_and_changes_nothing(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)
    before = await programme_counts(database, demo_event)
    broken = pretalx()
    talks = broken["schedule"]["conference"]["days"][0]["rooms"]["Gray Room"]
    talks[0]["duration"] = "half an hour"
    talks[1]["title"] = "x\u0000y"
    talks[2]["date"] = "tomorrow"
    text = json.dumps(broken, indent=1)

    response = await upload(client, f"/{demo_event}/organiser/import", text)

    assert response.status_code == 400
    errors = [" ".join(li.text_content().split()) for li in with_class(response, "import-error-list")[0].xpath("li")]
    line = {
        key: next(n for n, t in enumerate(text.splitlines(), 1) if needle in t)
        for key, needle in (("duration", '"half an hour"'), ("title", '"x\\u0000y"'), ("date", '"tomorrow"'))
    }
    where = "schedule.conference.days[0].rooms.Gray Room"
    assert errors == [
        f'{where}[0].duration (line {line["duration"]}): "half an hour" is not a duration like 01:30',
        f"{where}[1].title (line {line['title']}): contains a NUL character (or a lone surrogate), which Podium cannot store",
        f'{where}[2].date (line {line["date"]}): "tomorrow" is not a date and time like 2020-12-14T09:00:00+01:00',
    ]
    assert page(response).xpath("//form[contains(@class, 'import-apply')]") == []
    assert await programme_counts(database, demo_event) == before


async def test_not_json_and_no_file_are_refused_with_a_message(client, database, demo_event):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)

    garbage = await upload(client, f"/{demo_event}/organiser/import", "{not json")
    empty = await client.post(f"/{demo_event}/organiser/import", data={"csrf_token": await csrf(client)}, files={})

    assert garbage.status_code == 400
    errors = [" ".join(li.text_content().split()) for li in with_class(garbage, "import-error-list")[0].xpath("li")]
    assert errors == ["This is not valid JSON: line 1, column 2: Expecting property name enclosed in double quotes"]
    assert empty.status_code == 400


async def test_event_file_round_trips_byte_for_byte_through_the_browser(client, database):
    async with database.session() as db:
        await grant_admin(db, email=ADMIN)
    await signed_in_as(client, database, ADMIN)
    text = DEMO_EVENT_FILE.read_text(encoding="utf-8")

    applied = await apply(client, await upload(client, "/admin/import", text, "asian-dialogue-2021.json"))
    exported = await client.get("/asian-dialogue-2021/organiser/event.json")
    again = await upload(client, "/asian-dialogue-2021/organiser/import", exported.text)

    assert applied.status_code == 303
    assert exported.status_code == 200
    assert exported.content == text.encode("utf-8")
    assert with_class(again, "import-nothing") != []


async def test_import_pages_are_organisers_only_and_another_events_upload_is_not_found(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, ORGANISER)
        for role in (Role.moderator, Role.speaker, Role.delegate):
            await staff(db, event, role, f"{role.value}@example.org")
        other, _session = await other_event(db)
        await staff(db, other, Role.organiser, "other@example.org")
    await signed_in_as(client, database, ORGANISER)
    preview = await upload(client, f"/{demo_event}/organiser/import", PRETALX_EXAMPLE.read_text())
    apply_path = page(preview).xpath("//form[contains(@class, 'import-apply')]/@action")[0]
    paths = [f"/{demo_event}/organiser/import", f"/{demo_event}/organiser/event.json", "/admin/import"]

    statuses = {}
    for email in (None, "moderator@example.org", "speaker@example.org", "delegate@example.org", "other@example.org"):
        client.cookies.clear()
        if email is not None:
            await signed_in_as(client, database, email)
        statuses[email] = [(await client.get(path)).status_code for path in paths]
    other_apply = await client.post(
        apply_path.replace(demo_event, other.slug), data={"csrf_token": await csrf(client), "digest": "x"}
    )

    # Signed out, the pages ask to sign in; the event file, a download, is not found.
    assert statuses == {email: [303, 404, 303] if email is None else [404, 404, 404] for email in statuses}
    assert other_apply.status_code == 404
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(Event))).one() == 2


async def test_event_file_into_the_event_previews_its_changes_and_names_its_error(client, database, demo_event):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)
    text = DEMO_EVENT_FILE.read_text(encoding="utf-8")
    renamed = text.replace('"title": "Opening Ceremony / 开幕式"', '"title": "Opening"', 1)
    broken = text.replace('"kind": "ceremony"', '"kind": "gala"', 1)

    preview = await upload(client, f"/{demo_event}/organiser/import", renamed)
    refused = await upload(client, f"/{demo_event}/organiser/import", broken)

    changed = [" ".join(li.text_content().split()) for li in with_class(preview, "import-changed")[0].xpath("li")]
    assert changed == ["Sessions: Opening (OPEN) – title"]
    line = next(n for n, t in enumerate(broken.splitlines(), 1) if '"kind": "gala"' in t)
    errors = [" ".join(li.text_content().split()) for li in with_class(refused, "import-error-list")[0].xpath("li")]
    assert refused.status_code == 400
    assert errors == [
        f'sessions[0].kind (line {line}): "gala" is not one of plenary, parallel, ceremony, video-address, exhibition, break'
    ]


async def test_apply_after_the_programme_changed_shows_the_new_preview_and_writes_nothing(client, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        await staff(db, event, Role.organiser, ORGANISER)
    await signed_in_as(client, database, ORGANISER)
    preview = await upload(client, f"/{demo_event}/organiser/import", PRETALX_EXAMPLE.read_text())
    async with database.session() as db:
        opening = (await db.exec(select(Session).where(Session.event_id == event.id, Session.code == "OPEN"))).one()
        [delegate] = await delegates(db, event, 1)
    async with database.session() as db:
        await pick_session(db, event=event, account=delegate, session_id=opening.id or 0)
    before = await programme_counts(database, demo_event)

    refused = await apply(client, preview)

    assert refused.status_code == 409
    assert " ".join(with_class(refused, "message-error")[0].text_content().split()) == (
        "The programme changed since this preview. Check the new preview and apply it again."
    )
    kept = [" ".join(li.text_content().split()) for li in with_class(refused, "import-kept")[0].xpath("li")]
    assert kept == [
        "Opening Ceremony / 开幕式 (OPEN): 1 people picked it, so it stays; cancel it in the programme instead."
    ]
    assert await programme_counts(database, demo_event) == before


async def test_the_same_pretalx_file_in_two_events_gives_each_its_own_guids(client, database, demo_event):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, ADMIN)
        await grant_admin(db, email=ADMIN)
    await signed_in_as(client, database, ADMIN)
    await apply(client, await upload(client, f"/{demo_event}/organiser/import", PRETALX_EXAMPLE.read_text()))

    created = await apply(client, await upload(client, "/admin/import", PRETALX_EXAMPLE.read_text()))
    again = await upload(client, "/democon/organiser/import", PRETALX_EXAMPLE.read_text())

    assert created.status_code == 303
    assert with_class(again, "import-nothing") != []
    async with database.session() as db:
        guids = (await db.exec(select(Session.guid))).all()
    assert len(guids) == len(set(guids)) == 2 * pretalx_counts()["sessions"]
