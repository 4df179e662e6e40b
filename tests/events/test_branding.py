"""An event's branding from its "Event" section: a main colour that would not read at WCAG AA is refused with
its ratio next to the field, a banner must be an image, and the theme only uses the colour where it reads."""

from __future__ import annotations

import pytest

from server.accounts.models import Role
from server.events.models import EventBanner
from server.events.services import get_event
from tests.support.event_forms import PNG, event_form
from tests.support.factories import staff
from tests.support.html import page
from tests.support.http import csrf, signed_in_as

pytestmark = [pytest.mark.integration, pytest.mark.parametrize("backend", ["sqlite"], indirect=True)]


def field_error(response, name: str) -> str:
    found = page(response).xpath(f"//*[@data-field='{name}']//p[@class='field-error']")
    return " ".join(found[0].text_content().split()) if found else ""


async def save(client, slug: str, banner: tuple[str, bytes, str] | None = None, **changes):
    opened = page(await client.get(f"/{slug}/organiser/event"))
    version = opened.xpath("//input[@name='edit_version']/@value")[0]
    files = {
        "logo": ("", b"", "application/octet-stream"),
        "banner": banner or ("", b"", "application/octet-stream"),
    }
    data = {"csrf_token": await csrf(client), **event_form(edit_version=version, **changes)}
    return await client.post(f"/{slug}/organiser/event", data=data, files=files)


@pytest.fixture
async def organiser(client, database, demo_event):
    async with database.session() as db:
        await staff(db, await get_event(db, slug=demo_event), Role.organiser, "organiser@example.org")
    await signed_in_as(client, database, "organiser@example.org")
    return client


async def test_a_colour_without_enough_contrast_is_refused_with_its_ratio(organiser, database, demo_event):
    refused = await save(organiser, demo_event, primary_color="#7fb3ff")

    assert refused.status_code == 400
    assert field_error(refused, "primary_color") == (
        "This colour has a contrast of 2.14:1 with white; links in it and white text on its buttons need at least "
        "4.5:1 to be readable (WCAG AA). Please choose a darker colour."
    )
    control = page(refused).xpath("//input[@id='event-primary_color']")[0]
    assert (control.get("value"), control.get("aria-invalid")) == ("#7fb3ff", "true")
    assert "event-primary_color-error" in control.get("aria-describedby").split()
    async with database.session() as db:
        assert (await get_event(db, slug=demo_event)).primary_color == ""


async def test_a_readable_colour_becomes_the_accent_and_is_lightened_for_the_dark_theme(organiser, demo_event):
    saved = await save(organiser, demo_event, primary_color="#0b6e4f")

    assert saved.status_code == 303
    theme = (await organiser.get(f"/{demo_event}/theme.css")).text
    light, dark = theme.split("@media (prefers-color-scheme: dark)")
    assert "--accent: #0b6e4f; --accent-ink: #ffffff;" in light
    assert "--accent: #48927b; --accent-ink: #0b1220;" in dark  # 4.9:1 on the dark page


async def test_a_banner_that_is_not_an_image_is_refused_next_to_its_field(organiser, database, demo_event):
    refused = await save(organiser, demo_event, banner=("banner.png", b"<html>not a picture</html>", "image/png"))

    assert refused.status_code == 400
    assert field_error(refused, "banner") == "The banner must be a PNG, JPEG or WebP image (SVG is not accepted)."
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        assert (event.has_banner, await db.get(EventBanner, event.id)) == (False, None)


async def test_a_banner_is_stored_and_shown_atop_the_programme(organiser, demo_event):
    saved = await save(organiser, demo_event, banner=("banner.png", PNG, "image/png"))

    assert saved.status_code == 303
    programme = page(await organiser.get(f"/{demo_event}/"))
    [source] = programme.xpath("//header[@class='event-header']/img[@class='event-banner']/@src")
    served = await organiser.get(source)
    assert (served.status_code, served.headers["content-type"], served.content) == (200, "image/png", PNG)
