"""What a session shows before a click, for visitors and delegates, and what a refused request still offers: the
event's navigation and the ways back. Notices are shown once and only when the server left them."""

from __future__ import annotations

from server.agenda.services import load_programme
from server.registration.seats import pick_session
from server.transport.notices import NOTICE_COOKIE
from tests.support.factories import delegates, event_by_slug
from tests.support.html import page
from tests.support.http import post, signed_in_as


async def test_session_states_for_visitors_and_delegates(client, database, demo_event):
    visitor = await client.get(f"/{demo_event}/states.json")
    states = visitor.json()["states"]
    assert states["KEYNOTE"] == {"state": "seats", "text": "600 seats left"}
    assert "BREAK-1" not in states  # a break holds no seat: no badge
    assert {state["state"] for state in states.values()} == {"seats"}  # a visitor has no picks and no clashes
    assert "no-store" in visitor.headers["cache-control"]
    one = await client.get(f"/{demo_event}/states.json?session=KEYNOTE")
    assert one.json() == {"states": {"KEYNOTE": {"state": "seats", "text": "600 seats left"}}}

    async with database.session() as db:
        event = await event_by_slug(db, demo_event)
        (delegate,) = await delegates(db, event, 1)
        sd1 = next(view for view in (await load_programme(db, event=event)).sessions if view.session.code == "SD-1")
        await pick_session(db, event=event, account=delegate, session_id=sd1.session.id)
    await signed_in_as(client, database, delegate.email)
    mine = (await client.get(f"/{demo_event}/states.json")).json()["states"]
    assert mine["EML-1"] == {"state": "clash", "text": f"Clashes with {sd1.session.title}"}
    assert mine["SD-1"] == {"state": "picked", "text": "In my agenda"}


async def test_an_error_page_keeps_the_event_and_the_ways_back(client, demo_event):
    missing = await client.get(
        f"/{demo_event}/sessions/NO-SUCH/pick", headers={"referer": f"http://podium.test/{demo_event}"}
    )
    assert missing.status_code == 404
    ways = page(missing).xpath("//ul[contains(@class, 'error-ways')]//a/@href")
    assert ways == [f"/{demo_event}", f"/{demo_event}/", f"/{demo_event}/registration", "/"]
    nav = page(missing).xpath("//ul[@class='nav-links']//a/@href")
    assert f"/{demo_event}/registration" in nav


async def test_a_notice_shows_once_and_only_when_signed(client, database, demo_event):
    async with database.session() as db:
        (delegate,) = await delegates(db, await event_by_slug(db, demo_event), 1)
    await signed_in_as(client, database, delegate.email)
    picked = await post(client, f"/{demo_event}/sessions/KEYNOTE/pick")
    shown = await client.get(picked.headers["location"])
    notice = "//div[contains(@class, 'notice')]//p/text()"
    assert page(shown).xpath(notice) == [
        "“Keynote: Promoting Dialogue among Civilizations, Shaping the Future of Asia” is in your agenda, with a seat on site."
    ]
    assert page(await client.get(picked.headers["location"])).xpath(notice) == []

    client.cookies.set(NOTICE_COOKIE, "planted-text")
    forged = await client.get(f"/{demo_event}/registration")
    assert forged.status_code == 200
    assert page(forged).xpath("//div[contains(@class, 'notice')]") == []
