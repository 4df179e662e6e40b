"""Check-in staff on a phone, in a Chromium without BarcodeDetector: the badge read by jsQR from the camera (a fake
camera showing the badge's QR code) and from a photo, then a person found by the first letters of their name."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
import segno
from PIL import Image
from sqlmodel import select

from server.accounts.models import Role
from server.db import Database
from server.events.services import get_event
from server.registration.badges import check_in_code
from server.registration.models import Registration
from server.settings import Settings
from tests.support.browser import PageProblems, assert_accessible, chromium
from tests.support.factories import other_event, person
from tests.support.servers import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.integration, pytest.mark.slow]
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
FRAME = (640, 480)


def badge_png(code: str) -> bytes:
    """The badge's QR code as a phone photo of it would show it: dark modules on white, with a quiet zone."""
    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def camera_video(code: str, path: Path) -> Path:
    """A y4m video (what Chromium's fake camera plays) whose frames show the badge's QR code in the middle."""
    width, height = FRAME
    frame = Image.new("L", FRAME, 255)
    qr = Image.open(io.BytesIO(badge_png(code))).convert("L")
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * (width // 2 * height // 2)  # 4:2:0, no colour
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _frame in range(10):
            video.write(b"FRAME\n" + luma + chroma + chroma)
    return path


async def badge_code(database: Database, account_id: int | None, secret: str) -> str:
    async with database.session() as db:
        registration = (await db.exec(select(Registration).where(Registration.account_id == account_id))).one()
        return check_in_code(registration, secret=secret)


async def outcome(page: Any) -> tuple[str | None, str]:
    return await page.locator("[data-outcome]").get_attribute("data-outcome"), await page.locator(
        ".checkin-headline"
    ).inner_text()


async def test_desk_reads_badges_with_jsqr_and_finds_people_by_name(
    live_server: LiveServer, demo_event: str, database: Database, settings: Settings, tmp_path: Path
) -> None:
    async with database.session() as db:
        event = await get_event(db, slug=demo_event)
        desk = await person(db, event, "Desk Staff", role=Role.checkin)
        scanned = await person(db, event, "Anjali Rao", attendance="onsite", country="IN")
        photographed = await person(db, event, "Budi Santoso", attendance="onsite")
        await person(db, event, "Wanjiru Kamau", attendance="onsite", country="KE")
        elsewhere, _session = await other_event(db)
        foreigner = await person(db, elsewhere, "Somebody Else", attendance="onsite")
    secret = settings.secret_key
    video = camera_video(await badge_code(database, scanned.account.id, secret), tmp_path / "badge.y4m")
    photo = badge_png(await badge_code(database, photographed.account.id, secret))
    foreign_photo = badge_png(await badge_code(database, foreigner.account.id, secret))
    base = live_server.url

    async with chromium(
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ) as browser:
        context = await browser.new_context(locale="en-GB", permissions=["camera"], **PHONE)
        await context.add_cookies([{"name": "podium_session", "value": desk.token, "url": base}])
        # As in Chromium on Linux, Firefox and older Safari: no BarcodeDetector, so jsQR reads the codes.
        await context.add_init_script("delete window.BarcodeDetector;")
        page = await context.new_page()
        problems = PageProblems(page)
        loaded: list[str] = []
        page.on(
            "request", lambda request: loaded.append(request.url) if "/static/vendor/jsqr/" in request.url else None
        )

        await page.goto(f"{base}/{demo_event}/checkin")
        await assert_accessible(page)
        assert await page.locator(".arrived-total").inner_text() == "0 people checked in so far."

        # The camera: the fake camera shows Anjali's badge; jsQR reads it and the desk checks her in.
        async with page.expect_navigation():
            await page.get_by_role("button", name="Scan with the camera").click()
        assert await outcome(page) == ("checked-in", "Checked in. Welcome!")
        assert await page.locator(".checkin-name").inner_text() == "Anjali Rao"
        assert loaded and loaded[0].endswith("/static/vendor/jsqr/dist/jsQR.js")
        # The desk goes on scanning; the badge still in front of the camera is not read twice.
        stop = page.get_by_role("button", name="Stop the camera")
        await stop.wait_for()
        await page.wait_for_timeout(600)
        assert await outcome(page) == ("checked-in", "Checked in. Welcome!")
        await stop.click()
        assert await page.locator(".arrived-total").inner_text() == "1 person checked in so far."

        # A photo of a badge, chosen through the file input: read by the same decoder.
        async with page.expect_navigation():
            await page.set_input_files("#badge-photo", {"name": "badge.png", "mimeType": "image/png", "buffer": photo})
        assert await outcome(page) == ("checked-in", "Checked in. Welcome!")
        assert await page.locator(".checkin-name").inner_text() == "Budi Santoso"
        # Another event's badge is not found here.
        async with page.expect_navigation():
            await page.set_input_files(
                "#badge-photo", {"name": "other.png", "mimeType": "image/png", "buffer": foreign_photo}
            )
        assert await outcome(page) == ("other-event", "NOT FOUND: a badge of ANOTHER EVENT")
        assert await page.locator(".checkin-person").count() == 0

        # By name: the first letters, the result as they are typed, then check in from it.
        await page.get_by_label("First letters of the name or organisation").press_sequentially("wan", delay=40)
        found = page.locator(".lookup-person")
        await found.filter(has_text="Wanjiru Kamau").wait_for()
        assert await found.count() == 1
        assert re.search(r"Kenya", await found.inner_text())
        await assert_accessible(page)
        async with page.expect_navigation():
            await found.get_by_role("button", name="Check in").click()
        assert await outcome(page) == ("checked-in", "Checked in. Welcome!")
        assert await page.locator(".checkin-name").inner_text() == "Wanjiru Kamau"

        # The arrivals per hour went up with each of the three.
        assert await page.locator(".arrived-total").inner_text() == "3 people checked in so far."
        counts = await page.locator(".arrivals-table .arrivals-count").all_inner_texts()
        assert sum(int(number) for number in counts) == 3

        # A search without a result says so, and what to do instead.
        await page.get_by_label("First letters of the name or organisation").press_sequentially("zqx", delay=40)
        await page.locator(".lookup-none").wait_for()
        assert (await page.locator(".lookup-none p").first.inner_text()).startswith(
            "Nobody registered for this event matches “zqx”."
        )
        await assert_accessible(page)

        overflow = await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0
        assert problems.messages == []
        await context.close()
