"""The programme editor's sessions: saves stay drafts, concurrent saves are refused with the other organiser's
values, bad input re-renders with messages, clashes are warned about, capacity below seats taken is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select

from server.accounts.models import Role
from server.agenda.models import Person, Room, Session, Track
from server.audit.models import AuditEntry
from server.events.services import get_event
from server.organising.models import SessionDraft
from server.registration.seats import pick_session
from tests.support.factories import delegates, other_event, session_with_capacity, staff
from tests.support.html import page
from tests.support.http import signed_in_as
from tests.support.programme import editor, send, session_form

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

ORGANISER = "organiser@example.org"


async def _session(database, code: str) -> Session:
    async with database.session() as db:
        return (await db.exec(select(Session).where(Session.code == code))).one()


async def _actions(database) -> list[str]:
    async with database.session() as db:
        return list((await db.exec(select(AuditEntry.action).order_by(col(AuditEntry.id)))).all())


def _field_errors(response) -> dict[str, str]:
    return {
        element.get("id").removeprefix("error-"): " ".join(element.text_content().split())
        for element in page(response).xpath("//p[@class='field-error']")
    }


async def test_save_is_a_draft_and_the_public_session_is_unchanged(organiser, database, demo_event):
    values = await session_form(organiser, demo_event, "OPEN")

    saved = await send(organiser, editor(demo_event, "/sessions/OPEN"), {**values, "title": "Opening, revised"})

    assert (saved.status_code, saved.headers["location"]) == (
        303,
        f"/{demo_event}/organiser/programme/sessions/OPEN?saved=1",
    )
    assert (await _session(database, "OPEN")).title == "Opening Ceremony / 开幕式"
    async with database.session() as db:
        drafts = (await db.exec(select(SessionDraft))).all()
    assert [(draft.code, draft.title) for draft in drafts] == [("OPEN", "Opening, revised")]
    shown = await organiser.get(editor(demo_event, "/sessions/OPEN"))
    assert page(shown).xpath("//input[@name='title']/@value") == ["Opening, revised"]
    assert "Changed, not released" in shown.text
    assert (await organiser.get(f"/{demo_event}/sessions/OPEN")).text.count("Opening, revised") == 0
    assert await _actions(database) == ["session.update"]


async def test_second_organiser_saving_an_old_version_is_refused_with_the_others_change(
    organiser, database, demo_event, browsers
):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, "second@example.org")
    async with browsers() as second:
        await signed_in_as(second, database, "second@example.org")
        mine = await session_form(organiser, demo_event, "OPEN")
        theirs = await session_form(second, demo_event, "OPEN")

        first = await send(organiser, editor(demo_event, "/sessions/OPEN"), {**mine, "title": "Title by the first"})
        refused = await send(second, editor(demo_event, "/sessions/OPEN"), {**theirs, "title": "Title by the second"})

    assert first.status_code == 303
    assert refused.status_code == 409
    shown = page(refused)
    assert shown.xpath("//input[@name='title']/@value") == ["Title by the second"]
    assert shown.xpath("//p[@data-field='title']/span[@class='theirs-value']/text()") == ["Title by the first"]
    assert "Another organiser changed this session" in refused.text
    async with database.session() as db:
        assert (await db.exec(select(SessionDraft.title))).all() == ["Title by the first"]


async def test_a_save_without_the_forms_version_is_refused_with_the_released_values(organiser, database, demo_event):
    values = await session_form(organiser, demo_event, "OPEN")

    refused = await send(organiser, editor(demo_event, "/sessions/OPEN"), {**values, "title": "New", "version": ""})

    assert refused.status_code == 409
    shown = page(refused)
    assert shown.xpath("//input[@name='title']/@value") == ["New"]
    assert shown.xpath("//p[@data-field='title']/span[@class='theirs-value']/text()") == ["Opening Ceremony / 开幕式"]
    async with database.session() as db:
        assert (await db.exec(select(SessionDraft))).all() == []


async def test_bad_input_rerenders_the_form_with_each_message(organiser, database, demo_event):
    values = await session_form(organiser, demo_event, "OPEN")
    bad = {
        **values,
        "title": "",
        "day": "2021-13-40",
        "duration": "9" * 40,
        "capacity": "123456789012345678901234567890",
        "abstract": "Kept as typed",
    }

    response = await send(organiser, editor(demo_event, "/sessions/OPEN"), bad)

    assert response.status_code == 400
    assert set(_field_errors(response)) == {"title", "day", "duration", "capacity"}
    assert page(response).xpath("//textarea[@name='abstract']/text()") == ["Kept as typed"]
    bad_time = await send(organiser, editor(demo_event, "/sessions/OPEN"), {**values, "start": "25:61"})
    assert bad_time.status_code == 400
    assert _field_errors(bad_time) == {"start": "Enter the start as a time of day, e.g. 09:30."}
    nul = await send(organiser, editor(demo_event, "/sessions/OPEN"), {**values, "title": "Bad\x00title"})
    assert nul.status_code == 400
    assert page(nul).xpath("//input[@name='title']/@value") == ["Badtitle"]
    assert "such as a NUL byte" in nul.text
    async with database.session() as db:
        assert (await db.exec(select(SessionDraft))).all() == []


async def test_another_events_room_track_or_person_is_not_found(organiser, database, demo_event):
    async with database.session() as db:
        other, _session_there = await other_event(db)
        room = (await db.exec(select(Room).where(Room.event_id == other.id))).one()
        track = Track(event_id=other.id or 0, slug="t", name="Elsewhere")
        person = Person(event_id=other.id or 0, slug="p", name="Someone Elsewhere")
        db.add_all([track, person])
        await db.commit()
        ids = {"room": str(room.id), "track": str(track.id), "speakers": [str(person.id)]}
    values = await session_form(organiser, demo_event, "OPEN")

    for field, value in ids.items():
        response = await send(organiser, editor(demo_event, "/sessions/OPEN"), {**values, field: value})
        assert response.status_code == 404, field
        assert list(_field_errors(response)) == [field]
    async with database.session() as db:
        assert (await db.exec(select(SessionDraft))).all() == []


async def test_clashes_and_days_outside_the_event_are_warned_about(organiser, database, demo_event):
    untouched = page(await organiser.get(editor(demo_event)))  # exhibitions and breaks overlap, as picks allow
    values = await session_form(organiser, demo_event, "OPEN")
    clash = {**values, "title": "Clashing session", "abstract": ""}  # same room, time and speakers as OPEN

    created = await send(organiser, editor(demo_event, "/new"), clash)
    warned = await organiser.get(created.headers["location"])
    moved = await send(
        organiser,
        editor(demo_event, "/sessions/OPEN/move"),
        {"day": "2021-11-05", "start": "10:00", "room": values["room"], "version": values["version"]},
    )

    assert created.status_code == 303
    code = created.headers["location"].split("/sessions/")[1].split("?")[0]
    assert code == "clashing-session"
    assert untouched.xpath("//section[@class='programme-warnings']") == []
    warnings = page(warned).xpath("//section[@class='programme-warnings']//li/text()")
    assert any("is double-booked" in warning for warning in warnings)
    assert any("speaks in two places at once" in warning for warning in warnings)
    assert moved.status_code == 303
    grid = page(await organiser.get(editor(demo_event)))
    listed = grid.xpath("//section[@class='programme-warnings']//li[@data-session='OPEN']/text()")
    assert listed == [
        "“Opening Ceremony / 开幕式” (Nov 5, 2021, 10:00–10:30) is outside the event's days, Oct 27, 2021 to Oct 28, 2021."
    ]


async def test_capacity_below_the_seats_taken_is_refused_with_the_count(organiser, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = await session_with_capacity(db, event, 5)
        accounts = await delegates(db, event, 3)
        small = Room(event_id=event.id or 0, slug="small", name="Small room", capacity=2)
        db.add(small)
        await db.commit()
    for account in accounts:
        async with database.session() as db:
            await pick_session(db, event=event, account=account, session_id=session.id or 0)
    values = await session_form(organiser, demo_event, session.code)

    refused = await send(organiser, editor(demo_event, f"/sessions/{session.code}"), {**values, "capacity": "2"})
    moved = await send(
        organiser,
        editor(demo_event, f"/sessions/{session.code}/move"),
        {"day": values["day"], "start": values["start"], "room": str(small.id), "version": values["version"]},
    )
    accepted = await send(organiser, editor(demo_event, f"/sessions/{session.code}"), {**values, "capacity": "3"})

    assert refused.status_code == 400
    assert _field_errors(refused)["capacity"].startswith("3 seats are already taken in")
    assert moved.status_code == 400
    assert _field_errors(moved)["capacity"].startswith("3 seats are already taken in")
    assert accepted.status_code == 303


async def test_grid_move_list_bulk_edit_cancel_and_discard_are_drafts_and_audited(organiser, database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        rooms = (await db.exec(select(Room).where(Room.event_id == event.id).order_by(col(Room.id)))).all()
        tracks = (await db.exec(select(Track).where(Track.event_id == event.id).order_by(col(Track.id)))).all()
    grid = page(await organiser.get(editor(demo_event)))
    move_form = grid.xpath("//article[@id='s-OPEN']//form")[0]
    version = move_form.xpath(".//input[@name='version']/@value")[0]
    opening = await _session(database, "OPEN")
    sessions = [code for code in grid.xpath("//article/@data-session") if code != "OPEN"][:2]

    moved = await send(
        organiser,
        move_form.get("action"),
        {"day": "2021-10-28", "start": "14:00", "room": str(rooms[-1].id), "version": version},
    )
    shifted = await send(
        organiser, editor(demo_event, "/bulk"), {"sessions": sessions, "action": "shift", "value": "-15"}
    )
    tracked = await send(
        organiser,
        editor(demo_event, "/bulk"),
        {"sessions": sessions, "action": "track", "value_track": str(tracks[0].id)},
    )
    values = await session_form(organiser, demo_event, sessions[0])
    cancelled = await send(
        organiser, editor(demo_event, f"/sessions/{sessions[0]}/cancel"), {"version": values["version"]}
    )
    values = await session_form(organiser, demo_event, "OPEN")
    discarded = await send(organiser, editor(demo_event, "/sessions/OPEN/discard"), {"version": values["version"]})

    assert [r.status_code for r in (moved, shifted, tracked, cancelled, discarded)] == [303] * 5
    async with database.session() as db:
        drafts = {draft.code: draft for draft in (await db.exec(select(SessionDraft))).all()}
    assert set(drafts) == set(sessions)
    first = await _session(database, sessions[0])
    assert drafts[sessions[0]].start == first.start - dt.timedelta(minutes=15)
    assert drafts[sessions[0]].track_id == tracks[0].id
    assert drafts[sessions[0]].cancelled is True
    assert drafts[sessions[1]].cancelled is False
    assert (await _session(database, "OPEN")).start == opening.start
    assert await _actions(database) == [
        "session.move",
        "session.bulk_shift",
        "session.bulk_shift",
        "session.bulk_track",
        "session.bulk_track",
        "session.cancel",
        "session.discard",
    ]


async def test_bulk_edit_with_bad_values_changes_nothing(organiser, database, demo_event):
    responses = [
        await send(
            organiser, editor(demo_event, "/bulk"), {"sessions": ["OPEN"], "action": "shift", "value": "99999999"}
        ),
        await send(organiser, editor(demo_event, "/bulk"), {"sessions": [], "action": "shift", "value": "10"}),
        await send(
            organiser, editor(demo_event, "/bulk"), {"sessions": ["OPEN"], "action": "room", "value_room": "999999"}
        ),
        await send(organiser, editor(demo_event, "/bulk"), {"sessions": ["NOPE"], "action": "shift", "value": "10"}),
    ]

    assert [response.status_code for response in responses] == [400, 400, 404, 404]
    async with database.session() as db:
        assert (await db.exec(select(SessionDraft))).all() == []
