"""The demo's three digital exhibitions come with texts, hours and images drawn when the demo loads."""

from __future__ import annotations

import pytest

from server.agenda.interchange import DEMO_EVENT_FILE
from server.app import site_urls
from server.demo import load_demo
from tests.support.html import page

pytestmark = pytest.mark.integration


async def test_demo_exhibitions_have_captioned_images_in_english_and_chinese(client, database, settings):
    async with database.session() as db:
        await load_demo(
            db,
            links=site_urls("http://podium.test"),
            event_text=DEMO_EVENT_FILE.read_text(encoding="utf-8"),
            media_dir=settings.media_dir,
        )

    counts = {}
    for code in ("EXPO-ASIA", "EXPO-AXIS", "EXPO-GARDENS"):
        shown = page(await client.get(f"/asian-dialogue-2021/exhibitions/{code}"))
        counts[code] = len(shown.xpath("//ul[@class='exhibition-gallery']//img"))
    axis = page(await client.get("/asian-dialogue-2021/exhibitions/EXPO-AXIS?lang=zh"))
    first = axis.xpath("//ul[@class='exhibition-gallery']//img/@src")[0]
    image = await client.get(first)

    assert counts == {"EXPO-ASIA": 3, "EXPO-AXIS": 2, "EXPO-GARDENS": 3}
    assert axis.xpath("//span[@class='exhibition-caption']/text()") == ["钟鼓楼", "正午的城门"]
    english = page(await client.get("/asian-dialogue-2021/exhibitions/EXPO-AXIS?lang=en"))  # ?lang= is remembered
    hours = english.xpath("string(//p[@class='exhibition-hours'])")
    assert hours == "Open daily 10:30–17:30, in the event's time zone (Asia/Shanghai)."
    assert (image.status_code, image.headers["content-type"]) == (200, "image/jpeg")
