"""The exhibition services without HTTP: who may build, the opening-hours rule, guide formats by content, the
widths kept of an image, and visitors counted once each however many requests race."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from sqlmodel import select

from server.accounts.actors import Actor
from server.accounts.models import Account, Role
from server.agenda.models import Session
from server.agenda.services import load_programme
from server.errors import NotFound, StaleVersion
from server.events.services import get_event
from server.exhibitions.guides import sniffed
from server.exhibitions.hours import opening
from server.exhibitions.images import stored_widths
from server.exhibitions.models import Exhibition, ExhibitionImage, ExhibitionVisit
from server.exhibitions.services import add_images, save_exhibition, update_image
from server.exhibitions.visits import count_visit, visitor_key
from tests.support.factories import staff
from tests.support.http import count

SHANGHAI = ZoneInfo("Asia/Shanghai")
DELEGATE = Actor(account=Account(id=2, email="d@example.org", name="D"), roles=frozenset({Role.delegate}))


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, 10, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


def png(size=(900, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 90)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.unit
def test_hours_open_daily_within_the_sessions_days_in_the_event_zone():
    session = Session(
        code="X", title="X", kind="exhibition", start=at(27, 10, 30), end=at(28, 18), room_id=1, event_id=1
    )
    hours = Exhibition(session_id=1, event_id=1, opens="09:00", closes="17:00", version=1)

    first_morning = opening(session, hours, SHANGHAI, at(27, 10))
    first_day = opening(session, hours, SHANGHAI, at(27, 16, 59))
    evening = opening(session, hours, SHANGHAI, at(27, 20))
    after = opening(session, hours, SHANGHAI, at(28, 17, 1))

    assert (first_morning.open_now, first_morning.opens) == (False, at(27, 10, 30))  # not before the session starts
    assert (first_day.open_now, first_day.closes) == (True, at(27, 17))
    assert (evening.open_now, evening.opens, evening.closes) == (False, at(28, 9), at(28, 17))
    assert (after.open_now, after.opens) == (False, None)


@pytest.mark.unit
def test_without_hours_the_session_times_hold_and_a_cancelled_exhibition_never_opens():
    session = Session(code="X", title="X", kind="exhibition", start=at(27, 10), end=at(27, 18), room_id=1, event_id=1)

    open_now = opening(session, None, SHANGHAI, at(27, 12)).open_now
    session.cancelled = True

    assert open_now is True
    assert opening(session, None, SHANGHAI, at(27, 12)).open_now is False


@pytest.mark.unit
@pytest.mark.parametrize(
    ("start", "found"),
    [
        (b"ID3\x04\x00", ("audio", "audio/mpeg")),
        (b"\xff\xfb\x90\x00", ("audio", "audio/mpeg")),
        (b"OggS\x00\x02", ("audio", "audio/ogg")),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", ("audio", "audio/wav")),
        (b"\x00\x00\x00\x20ftypM4A ", ("audio", "audio/mp4")),
        (b"\x00\x00\x00\x20ftypisom", ("video", "video/mp4")),
        (b"\x1a\x45\xdf\xa3\x01", ("video", "video/webm")),
        (b"<!doctype html>", None),
        (b"%PDF-1.7", None),
    ],
)
def test_guides_are_recognised_by_their_first_bytes(start, found):
    assert sniffed(start + b"\x00" * 32) == found


@pytest.mark.unit
def test_images_are_kept_in_the_widths_below_their_own_and_never_enlarged():
    assert stored_widths(4000) == [480, 960, 1600]
    assert stored_widths(1600) == [480, 960, 1600]
    assert stored_widths(1000) == [480, 960, 1000]
    assert stored_widths(200) == [200]


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_only_organisers_build_and_a_stale_caption_is_refused(database, demo_event, settings):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        view = (await load_programme(db, event=event)).session("EXPO-GARDENS")
        plain = (await load_programme(db, event=event)).session("OPEN")
        account = await staff(db, event, Role.organiser, "curator@example.org")
    organiser = Actor(account=account, roles=frozenset({Role.organiser}))
    files = [("garden.png", png())]

    async with database.session() as db:
        with pytest.raises(NotFound):
            await save_exhibition(db, actor=DELEGATE, event=event, view=view, form={"intro": "Mine now"})
        with pytest.raises(NotFound):
            await add_images(db, actor=organiser, event=event, view=plain, files=files, media_dir=settings.media_dir)
        (image,) = await add_images(
            db, actor=organiser, event=event, view=view, files=files, media_dir=settings.media_dir
        )
        await update_image(
            db, actor=organiser, event=event, view=view, image_id=image.id, form={"version": "1", "caption": "Ours"}
        )
        with pytest.raises(StaleVersion):
            await update_image(
                db,
                actor=organiser,
                event=event,
                view=view,
                image_id=image.id,
                form={"version": "1", "caption": "Theirs"},
            )
        saved = (await db.exec(select(ExhibitionImage.caption))).all()

    assert saved == ["Ours"]
    assert await count(database, Exhibition) == 0


@pytest.mark.integration
@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_visitor_racing_in_several_requests_counts_once(database, demo_event):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        session = (await db.exec(select(Session).where(Session.code == "EXPO-ASIA"))).one()
    day = dt.date(2021, 10, 27)

    async def visit(visitor: str) -> int:
        async with database.session() as db:
            return await count_visit(db, event_id=event.id, session_id=session.id, visitor=visitor, day=day)

    racing = [visitor_key(account_id=None, browser="b" * 32)] * 6 + [visitor_key(account_id=7, browser="")] * 3
    await asyncio.gather(*(visit(visitor) for visitor in racing))

    assert await count(database, ExhibitionVisit) == 2
    assert await visit(visitor_key(account_id=7, browser="ignored")) == 2
