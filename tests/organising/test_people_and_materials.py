"""People with photos and accounts, and session materials: shown on the public session page; non-images,
disguised files, over-size uploads and javascript: links refused with nothing stored."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlmodel import func, select

from server.accounts.models import Role
from server.agenda.models import Person, SessionMaterial
from server.agenda.services import load_programme
from server.audit.models import AuditEntry
from server.events.services import get_event
from server.mail.models import OutboxMail
from tests.support.factories import staff
from tests.support.html import page
from tests.support.http import csrf, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)]

PERSON = {"name": "Mei Tan", "slug": "mei-tan", "organisation": "Heritage Lab", "country": "SG", "biography": ""}


def png(size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


async def organiser(client, database, slug):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=slug), Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")


async def send(client, path, data, files=None):
    return await client.post(path, data={"csrf_token": await csrf(client), **data}, files=files or {"none": ("", b"")})


async def people(database):
    async with database.session() as db:
        return (await db.exec(select(func.count()).select_from(Person))).one()


async def test_person_with_photo_and_account_is_invited_and_shown(client, database, demo_event, settings):
    await organiser(client, database, demo_event)

    response = await send(
        client,
        f"/{demo_event}/organiser/programme-people/new",
        {**PERSON, "email": "mei@example.org"},
        {"photo": ("mei.png", png(), "image/png")},
    )

    async with database.session() as db:
        person = (await db.exec(select(Person).where(Person.slug == "mei-tan"))).one()
        mail = (await db.exec(select(OutboxMail).where(OutboxMail.recipient == "mei@example.org"))).one()
    photo = await client.get(f"/{demo_event}/photos/{person.photo}/photo.jpg")
    assert response.status_code == 303
    assert (person.organisation, person.country, person.account_id is not None) == ("Heritage Lab", "SG", True)
    assert mail.subject.startswith("You are speaking at")
    assert photo.status_code == 200
    assert photo.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(photo.content)).size == (400, 300)
    assert Image.open(io.BytesIO(photo.content)).info.get("exif") is None


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("notes.png", b"not an image at all", "image/png"), "Please choose a photo in JPEG, PNG or WebP format."),
        (
            ("fake.jpg", b"%PDF-1.4 posing as a photo", "image/jpeg"),
            "Please choose a photo in JPEG, PNG or WebP format.",
        ),
        (("huge.png", b"\x89PNG" + b"0" * (6 * 1024 * 1024), "image/png"), "This file is larger than 5 MB."),
    ],
)
async def test_photo_that_is_not_a_small_image_is_refused_with_nothing_stored(
    client, database, demo_event, settings, upload, message
):
    await organiser(client, database, demo_event)
    before = await people(database)

    response = await send(client, f"/{demo_event}/organiser/programme-people/new", PERSON, {"photo": upload})

    assert response.status_code in (400, 413)
    assert page(response).xpath("//p[@id='person-photo-error']/text()") == [message]
    assert await people(database) == before
    photos = settings.media_dir / "photos"
    assert not photos.exists() or list(photos.iterdir()) == []


async def test_person_left_without_a_slug_gets_one_from_their_name(client, database, demo_event):
    await organiser(client, database, demo_event)

    response = await send(
        client, f"/{demo_event}/organiser/programme-people/new", {**PERSON, "name": "Ngô Thị Lan", "slug": ""}
    )

    assert response.status_code == 303
    async with database.session() as db:
        assert (await db.exec(select(Person.slug).where(Person.name == "Ngô Thị Lan"))).all() == ["ngo-thi-lan"]


async def test_bad_country_comes_back_with_the_message(client, database, demo_event):
    await organiser(client, database, demo_event)

    response = await send(client, f"/{demo_event}/organiser/programme-people/new", {**PERSON, "country": "XX"})

    assert response.status_code == 400
    assert page(response).xpath("//p[@id='person-country-error']/text()") == ["Please choose a country from the list."]


async def test_materials_file_and_link_are_listed_and_served_as_attachments(client, database, demo_event, settings):
    await organiser(client, database, demo_event)
    base = f"/{demo_event}/organiser/sessions/OPEN/materials"

    await send(client, base, {"title": "Slides"}, {"file": ("slides.pdf", b"%PDF-1.4 slides", "application/pdf")})
    await send(client, base, {"title": "Paper", "url": "https://example.org/paper"})
    refused = await send(client, base, {"title": "Bad", "url": "javascript:alert(1)"})
    disguised = await send(client, base, {"title": "X"}, {"file": ("x.pdf", b"MZ\x90 an exe", "application/pdf")})
    public = page(await client.get(f"/{demo_event}/sessions/OPEN"))
    links = public.xpath("//ul[@class='material-list']//a/@href")
    download = await client.get(links[0])

    assert (refused.status_code, disguised.status_code) == (400, 400)
    assert page(refused).xpath("//p[@id='material-url-error']/text()") == [
        "Write a web address starting with https:// or http://."
    ]
    assert public.xpath("//ul[@class='material-list']//a/text()") == ["Slides", "Paper"]
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''slides.pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.content == b"%PDF-1.4 slides"
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(SessionMaterial))).one() == 2


async def speaker_of_opening(database, slug):
    async with database.session() as db:
        event = await get_event(db, slug=slug)
        programme = await load_programme(db, event=event)
        return programme.session("OPEN").speakers[0]


def form_of(person, **changes):
    values = {key: getattr(person, key) for key in ("name", "slug", "organisation", "country", "biography")}
    return {**values, "version": str(person.version), **changes}


async def test_speakers_new_photo_shows_on_their_session_page(client, database, demo_event):
    await organiser(client, database, demo_event)
    speaker = await speaker_of_opening(database, demo_event)

    saved = await send(
        client,
        f"/{demo_event}/organiser/programme-people/{speaker.id}",
        form_of(speaker),
        {"photo": ("me.png", png((300, 900)), "image/png")},
    )
    session_page = page(await client.get(f"/{demo_event}/sessions/OPEN"))
    source = session_page.xpath("//ul[@class='speaker-list']/li[1]/img/@src")
    thumbnail = await client.get(source[0])

    assert saved.status_code == 303
    assert Image.open(io.BytesIO(thumbnail.content)).size == (32, 96)


async def test_second_save_of_a_person_is_refused_with_the_first_ones_values(client, database, demo_event):
    await organiser(client, database, demo_event)
    speaker = await speaker_of_opening(database, demo_event)
    address = f"/{demo_event}/organiser/programme-people/{speaker.id}"
    await send(client, address, form_of(speaker, organisation="First Institute"))

    second = await send(client, address, form_of(speaker, organisation="Second Institute"))

    assert second.status_code == 409
    assert page(second).xpath("//input[@id='person-organisation']/@value") == ["First Institute"]
    async with database.session() as db:
        assert (await db.get_one(Person, speaker.id)).organisation == "First Institute"


async def test_organisers_dashboard_links_each_session_to_its_materials(client, database, demo_event):
    await organiser(client, database, demo_event)

    dashboard = page(await client.get(f"/{demo_event}/organiser"))

    assert dashboard.xpath("//tr[@data-code='OPEN']//a[@class='row-action']/@href") == [
        f"/{demo_event}/organiser/sessions/OPEN/materials"
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "Mei\x00Tan", "This contains characters Podium cannot accept, such as a NUL byte."),
        ("organisation", "x" * 201, "This is 201 characters long; 200 at most."),
        ("slug", "ana-lim", "Another person of this event has this slug."),
        ("email", "not-an-address", "This is not a valid email address."),
    ],
)
async def test_bad_person_field_comes_back_with_its_message_and_nothing_stored(
    client, database, demo_event, settings, field, value, message
):
    await organiser(client, database, demo_event)
    async with database.session() as db:
        taken = (await db.exec(select(Person.slug))).first()
    before = await people(database)

    response = await send(
        client,
        f"/{demo_event}/organiser/programme-people/new",
        {**PERSON, field: taken if value == "ana-lim" else value},
        {"photo": ("fine.png", png(), "image/png")},  # a good photo is not kept from a refused form
    )

    assert response.status_code == 400
    photos = settings.media_dir / "photos"
    assert not photos.exists() or list(photos.iterdir()) == []
    assert page(response).xpath(f"//p[@id='person-{field}-error']/text()") == [message]
    assert await people(database) == before
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(OutboxMail))).one() == 0


async def test_clearing_a_persons_email_unlinks_their_account(client, database, demo_event):
    await organiser(client, database, demo_event)
    speaker = await speaker_of_opening(database, demo_event)
    address = f"/{demo_event}/organiser/programme-people/{speaker.id}"
    await send(client, address, form_of(speaker, email="speaker@example.org"))
    async with database.session() as db:
        linked = await db.get_one(Person, speaker.id)

    await send(client, address, form_of(linked, email=""))

    async with database.session() as db:
        assert (await db.get_one(Person, speaker.id)).account_id is None
        actions = (await db.exec(select(AuditEntry.action).order_by(AuditEntry.id))).all()
    assert actions == ["person.update", "person.link", "person.update", "person.unlink"]


async def test_material_over_the_size_limit_is_refused_with_nothing_stored(client, database, demo_event, settings):
    await organiser(client, database, demo_event)

    response = await send(
        client,
        f"/{demo_event}/organiser/sessions/OPEN/materials",
        {"title": "Huge"},
        {"file": ("huge.pdf", b"%PDF-" + b"0" * (21 * 1024 * 1024), "application/pdf")},
    )

    assert response.status_code == 413
    assert page(response).xpath("//p[@id='material-file-error']/text()") == ["This file is larger than 20 MB."]
    async with database.session() as db:
        assert (await db.exec(select(func.count()).select_from(SessionMaterial))).one() == 0
    materials = settings.media_dir / "materials"
    assert not materials.exists() or list(materials.iterdir()) == []
