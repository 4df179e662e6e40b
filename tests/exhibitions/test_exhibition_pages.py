"""Digital exhibitions through the real app: organisers build one in the browser's forms (images resized and
stripped, captions in two languages, order, hours, guides), visitors see it with sizes for phones and screens,
opening hours and a count of distinct visitors; bad uploads are refused with nothing stored, and another event's
images and editor are "not found"."""

from __future__ import annotations

import datetime as dt
import io

import httpx
import pytest
from PIL import Image
from sqlmodel import col, select

from server import clock
from server.accounts.models import Role
from server.audit.models import AuditEntry
from server.events.services import get_event
from server.exhibitions.models import Exhibition, ExhibitionGuide, ExhibitionImage
from tests.support import factories
from tests.support.factories import OTHER_SLUG, other_event, staff
from tests.support.html import page
from tests.support.http import as_person, count, csrf, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

CODE = "EXPO-ASIA"


def picture(size=(2000, 1200), fmt="PNG", *, exif=False) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (30, 90, 160))
    if exif:
        tags = Image.Exif()
        tags[0x010F] = "CameraMaker"  # Make
        tags[0x0131] = "SecretSoftware"  # Software
        image.save(buffer, fmt, exif=tags.tobytes())
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def bomb() -> bytes:
    """A small PNG that decodes to 100 million pixels."""
    buffer = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buffer, "PNG")
    return buffer.getvalue()


async def organiser(client, database, slug, email="organiser@example.org"):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=slug), Role.organiser, email)
    await signed_in_as(client, database, email)


async def upload(client, slug, files):
    data = {"csrf_token": await csrf(client)}
    return await client.post(
        f"/{slug}/organiser/exhibitions/{CODE}/images",
        data=data,
        files=[("images", (name, content, "image/png")) for name, content in files],
    )


async def form(client, path, data):
    return await client.post(path, data={"csrf_token": await csrf(client), **data})


async def images(database) -> list[ExhibitionImage]:
    async with database.session() as db:
        query = select(ExhibitionImage).order_by(col(ExhibitionImage.position))
        return list((await db.exec(query)).all())


async def test_images_are_resized_stripped_captioned_in_two_languages_and_shown_with_sizes(
    client, database, demo_event, settings
):
    await organiser(client, database, demo_event)

    sent = await upload(
        client, demo_event, [("hall.png", picture(exif=True)), ("small.jpg", picture((300, 200), "JPEG"))]
    )
    first, second = await images(database)
    editor = f"/{demo_event}/organiser/exhibitions/{CODE}"
    captioned = await form(
        client,
        f"{editor}/images/{first.id}",
        {"version": "1", "caption": "The great hall", "credit": "Heritage Lab", "caption__zh": "大殿"},
    )
    english = await client.get(f"/{demo_event}/exhibitions/{CODE}")
    chinese = await client.get(f"/{demo_event}/exhibitions/{CODE}?lang=zh")
    largest = await client.get(f"/{demo_event}/exhibition-images/{first.stored_name}/1600.jpg")

    assert (sent.status_code, captioned.status_code) == (303, 303)
    assert (first.widths, first.width, first.height) == ([480, 960, 1600], 1600, 960)
    assert second.widths == [300]  # never enlarged
    shown = page(english)
    assert shown.xpath("//ul[@class='exhibition-gallery']//img/@alt") == ["The great hall", "Image 2 of the exhibition"]
    assert shown.xpath("//ul[@class='exhibition-gallery']//img/@srcset")[0] == ", ".join(
        f"/{demo_event}/exhibition-images/{first.stored_name}/{w}.jpg {w}w" for w in (480, 960, 1600)
    )
    assert shown.xpath("//ul[@class='exhibition-gallery']//img/@sizes")[0].endswith("92vw")
    assert shown.xpath("string(//span[@class='exhibition-credit'])") == "Credit: Heritage Lab"
    assert page(chinese).xpath("//span[@class='exhibition-caption']/text()") == ["大殿"]
    assert largest.headers["cache-control"] == "public, max-age=31536000, immutable"
    decoded = Image.open(io.BytesIO(largest.content))
    assert (decoded.format, decoded.size, decoded.getexif().get(0x0131)) == ("JPEG", (1600, 960), None)
    assert b"SecretSoftware" not in largest.content
    async with database.session() as db:
        actions = (await db.exec(select(AuditEntry.action).where(col(AuditEntry.action).like("exhibition.%")))).all()
    assert sorted(actions) == ["exhibition.image.create", "exhibition.image.create", "exhibition.image.update"]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ([("notes.png", b"just some text, not an image")], "notes.png is not an image in JPEG, PNG or WebP format."),
        ([("slides.jpg", b"%PDF-1.4 posing as a photo")], "slides.jpg is not an image in JPEG, PNG or WebP format."),
        ([("bomb.png", bomb())], "bomb.png has too many pixels; please send a smaller image."),
        ([("cut.png", picture()[:5000])], "cut.png is not an image in JPEG, PNG or WebP format."),
        ([("huge.png", b"\x89PNG" + b"0" * (15 * 1024 * 1024 + 10))], "huge.png is larger than 15 MB."),
        (
            [("good.png", picture()), ("bad.png", b"GIF89a not really")],
            "bad.png is not an image in JPEG, PNG or WebP format.",
        ),
    ],
)
async def test_upload_that_is_not_an_image_is_refused_with_nothing_stored(
    client, database, demo_event, settings, files, message
):
    await organiser(client, database, demo_event)

    response = await upload(client, demo_event, files)

    assert response.status_code == 400
    assert page(response).xpath("//p[@id='exhibition-images-error']/text()") == [message]
    assert await count(database, ExhibitionImage) == 0
    folder = settings.media_dir / "exhibitions"
    assert not folder.exists() or list(folder.iterdir()) == []


async def test_images_are_reordered_with_buttons_and_deleted_with_their_files(client, database, demo_event, settings):
    await organiser(client, database, demo_event)
    await upload(client, demo_event, [("a.png", picture((800, 600))), ("b.png", picture((600, 800)))])
    first, second = await images(database)
    editor = f"/{demo_event}/organiser/exhibitions/{CODE}"

    moved = await form(client, f"{editor}/images/{second.id}/move", {"to": "up"})
    order = [image.id for image in await images(database)]
    deleted = await form(client, f"{editor}/images/{first.id}/delete", {})

    assert (moved.status_code, deleted.status_code) == (303, 303)
    assert order == [second.id, first.id]
    assert [image.id for image in await images(database)] == [second.id]
    assert sorted(path.name for path in (settings.media_dir / "exhibitions").iterdir()) == sorted(
        f"{second.stored_name}-{w}.jpg" for w in second.widths
    )
    gone = await client.get(f"/{demo_event}/exhibition-images/{first.stored_name}/480.jpg")
    assert gone.status_code == 404


async def test_intro_and_hours_are_saved_and_a_stale_save_is_refused(client, database, demo_event):
    await organiser(client, database, demo_event)
    editor = f"/{demo_event}/organiser/exhibitions/{CODE}"

    saved = await form(
        client,
        editor,
        {
            "version": "0",
            "intro": "Sites and crafts.",
            "intro__zh": "遗址与工艺。",
            "opens": "10:00",
            "closes": "17:00",
        },
    )
    stale = await form(client, editor, {"version": "0", "intro": "Overwritten?", "opens": "", "closes": ""})
    wrong = await form(client, editor, {"version": "1", "opens": "18:00", "closes": "09:00"})
    shown = page(await client.get(f"/{demo_event}/exhibitions/{CODE}?lang=zh"))

    assert (saved.status_code, stale.status_code, wrong.status_code) == (303, 409, 400)
    assert page(wrong).xpath("//p[@id='exhibition-closes-error']/text()") == [
        "The closing time must come after the opening time."
    ]
    async with database.session() as db:
        row = (await db.exec(select(Exhibition))).one()
    assert (row.intro, row.opens, row.closes, row.version) == ("Sites and crafts.", "10:00", "17:00", 1)
    assert shown.xpath("//section[@class='exhibition-intro']/p/text()") == ["遗址与工艺。"]


async def test_open_now_follows_the_hours_in_the_event_zone(client, database, demo_event, monkeypatch):
    await organiser(client, database, demo_event)
    await form(
        client, f"/{demo_event}/organiser/exhibitions/{CODE}", {"version": "0", "opens": "11:00", "closes": "17:00"}
    )
    path = f"/{demo_event}/exhibitions/{CODE}"

    def at(hour: int, minute: int = 0) -> str:  # 2021-10-27 in Shanghai (UTC+8)
        moment = dt.datetime(2021, 10, 27, hour - 8, minute, tzinfo=dt.UTC)
        monkeypatch.setattr(clock, "utcnow", lambda: moment)
        return path

    before = page(await client.get(at(10, 45)))
    during = page(await client.get(at(16, 59)))
    after = page(await client.get(at(17, 30)))
    in_london = page(await client.get(at(10, 45) + "?tz=Europe/London"))

    assert before.xpath("string(//p[@class='exhibition-open']/span)") == "Closed now"
    assert before.xpath("//span[@class='exhibition-when']/time/@datetime")[0] == "2021-10-27T03:00:00+00:00"
    assert during.xpath("string(//p[@class='exhibition-open']/span)") == "Open now"
    # The next opening in the reader's zone (04:00 in London for 11:00 in Shanghai), the daily hours in the event's.
    london = in_london.xpath("normalize-space(//span[@class='exhibition-when'])")
    assert "04:00" in london and london.endswith("(Europe/London)")
    assert after.xpath("normalize-space(//span[@class='exhibition-when'])") == "The exhibition has closed."
    assert during.xpath("string(//p[@class='exhibition-hours'])") == (
        "Open daily 11:00–17:00, in the event's time zone (Asia/Shanghai)."
    )


async def test_visitors_are_counted_once_a_day_per_person_or_browser(settings, database, demo_event, client):
    from server.app import create_app

    path = f"/{demo_event}/exhibitions/{CODE}"

    def browser() -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, database)), base_url="http://test"
        )

    async with browser() as first, browser() as second:
        await first.get(path)
        await first.get(path)
        again = page(await first.get(path))
        other = page(await second.get(path))
        await organiser(client, database, demo_event)
        await client.get(path)
        signed = page(await client.get(path))

    assert again.xpath("string(//p[@class='exhibition-visitors'])") == "1 visitor today"
    assert other.xpath("string(//p[@class='exhibition-visitors'])") == "2 visitors today"
    assert signed.xpath("string(//p[@class='exhibition-visitors'])") == "3 visitors today"


async def test_guide_is_served_with_ranges_and_a_file_that_is_not_audio_is_refused(
    client, database, demo_event, settings
):
    await organiser(client, database, demo_event)
    editor = f"/{demo_event}/organiser/exhibitions/{CODE}"
    audio = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 40

    refused = await client.post(
        f"{editor}/guides",
        data={"csrf_token": await csrf(client), "title": "Tour"},
        files={"guide": ("tour.mp3", b"<html>not audio</html>", "audio/mpeg")},
    )
    added = await client.post(
        f"{editor}/guides",
        data={"csrf_token": await csrf(client), "title": "Audio tour", "title__zh": "语音导览"},
        files={"guide": ("tour.mp3", audio, "audio/mpeg")},
    )
    async with database.session() as db:
        guide = (await db.exec(select(ExhibitionGuide))).one()
    url = f"/{demo_event}/exhibition-guides/{guide.id}"
    middle = await client.get(url, headers={"Range": "bytes=100-199"})
    outside = await client.get(url, headers={"Range": f"bytes={len(audio) + 10}-"})
    shown = page(await client.get(f"/{demo_event}/exhibitions/{CODE}?lang=zh"))

    assert refused.status_code == 400
    assert page(refused).xpath("//p[@id='guide-file-error']/text()") == [
        "Please send audio (MP3, M4A, Ogg, WAV) or video (MP4, WebM)."
    ]
    assert added.status_code == 303
    assert (guide.kind, guide.content_type, guide.size) == ("audio", "audio/mpeg", len(audio))
    assert (middle.status_code, middle.content) == (206, audio[100:200])
    assert middle.headers["content-range"] == f"bytes 100-199/{len(audio)}"
    assert (outside.status_code, outside.headers["content-range"]) == (416, f"bytes */{len(audio)}")
    assert shown.xpath("//ul[@class='exhibition-guides']//h3/text()") == ["语音导览"]
    assert shown.xpath("//ul[@class='exhibition-guides']//audio/@src") == [url]


async def test_another_events_images_and_editor_and_other_kinds_are_not_found(client, database, demo_event):
    async with database.session() as db:
        await other_event(db, copy_of_demo=True)
    await organiser(client, database, OTHER_SLUG, "their-organiser@example.org")
    await upload(client, OTHER_SLUG, [("a.png", picture((800, 600)))])
    (theirs,) = await images(database)
    await organiser(client, database, demo_event)  # organiser of the demo event only from here

    leaked_image = await client.get(f"/{demo_event}/exhibition-images/{theirs.stored_name}/480.jpg")
    their_editor = await client.get(f"/{OTHER_SLUG}/organiser/exhibitions/{CODE}")
    their_delete = await form(client, f"/{OTHER_SLUG}/organiser/exhibitions/{CODE}/images/{theirs.id}/delete", {})
    cross_delete = await form(client, f"/{demo_event}/organiser/exhibitions/{CODE}/images/{theirs.id}/delete", {})
    not_an_exhibition = await client.get(f"/{demo_event}/exhibitions/OPEN")
    no_editor = await client.get(f"/{demo_event}/organiser/exhibitions/OPEN")

    assert [r.status_code for r in (leaked_image, their_editor, their_delete, cross_delete)] == [404, 404, 404, 404]
    assert (not_an_exhibition.status_code, no_editor.status_code) == (404, 404)
    assert await count(database, ExhibitionImage) == 1


async def test_session_page_and_agenda_link_to_the_exhibition(client, demo_event):
    session = page(await client.get(f"/{demo_event}/sessions/{CODE}"))
    agenda = page(await client.get(f"/{demo_event}/?day=2021-10-27"))
    plain = page(await client.get(f"/{demo_event}/sessions/OPEN"))

    assert session.xpath("//p[@class='exhibition-link']/a/@href") == [f"/{demo_event}/exhibitions/{CODE}"]
    assert f"/{demo_event}/exhibitions/{CODE}" in agenda.xpath("//p[@class='card-exhibition']/a/@href")
    assert plain.xpath("//p[@class='exhibition-link']") == []


async def test_captions_are_shown_as_text_and_a_post_without_the_form_token_changes_nothing(
    client, database, demo_event, settings
):
    await organiser(client, database, demo_event)
    await upload(client, demo_event, [("a.png", picture((800, 600)))])
    (image,) = await images(database)
    editor = f"/{demo_event}/organiser/exhibitions/{CODE}"
    script = "<script>alert('caption')</script>"

    await form(client, f"{editor}/images/{image.id}", {"version": "1", "caption": script, "credit": "<b>bold</b>"})
    shown = await client.get(f"/{demo_event}/exhibitions/{CODE}")
    forged = await client.post(
        f"{editor}/images",
        data={"csrf_token": "forged"},
        files=[("images", ("b.png", picture((800, 600)), "image/png"))],
    )

    assert page(shown).xpath("//span[@class='exhibition-caption']/text()") == [script]
    assert page(shown).xpath("//article//script") == []
    assert "&lt;b&gt;bold&lt;/b&gt;" in shown.text
    assert forged.status_code == 403
    assert [row.id for row in await images(database)] == [image.id]


async def test_guided_tour_is_the_live_room_in_the_page_for_delegates_and_a_link_for_others(
    client, database, demo_event
):
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        delegate = await factories.person(db, event, "Tour Visitor", attendance=factories.ONLINE)
        outsider = await factories.person(db, event, "Not Registered")
    path = f"/{demo_event}/exhibitions/{CODE}"

    anonymous = page(await client.get(path))
    as_person(client, outsider)
    unregistered = page(await client.get(path))
    as_person(client, delegate)
    registered = page(await client.get(path))

    room = f"/{demo_event}/sessions/{CODE}/room"
    for shown in (anonymous, unregistered):
        assert shown.xpath("//section[@class='exhibition-tour']//a/@href") == [room]
        assert shown.xpath("//div[@id='live']") == []
    assert registered.xpath("//div[@id='live']/@data-session") != []
    assert registered.xpath("//section[@class='exhibition-tour']//form/@id") == ["ask-form", "chat-form"]
    assert registered.xpath("//script[contains(@src, 'live/room.js')]") != []


async def test_programme_editor_of_an_exhibition_links_to_its_editor(client, database, demo_event):
    await organiser(client, database, demo_event)

    exhibition = page(await client.get(f"/{demo_event}/organiser/programme/sessions/{CODE}"))
    plain = page(await client.get(f"/{demo_event}/organiser/programme/sessions/OPEN"))

    link = f"/{demo_event}/organiser/exhibitions/{CODE}"
    assert exhibition.xpath("//p[@class='editor-state']/a/@href")[-1] == link
    assert [href for href in plain.xpath("//p[@class='editor-state']/a/@href") if "exhibitions" in href] == []
