"""The time zone a visitor chose, remembered between pages; the picks document the shared agenda page reads."""

from __future__ import annotations

import httpx
import lxml.html
import pytest

from server.cookies import ZONE_COOKIE

pytestmark = pytest.mark.integration


def card_time(response: httpx.Response, code: str) -> str:
    tree = lxml.html.fromstring(response.text)
    found = tree.xpath(f'//article[@data-code="{code}"]//p[contains(@class, "card-time")]')
    return " ".join(found[0].text_content().split())


async def test_a_zone_chosen_once_stays_until_the_event_time_is_asked_for(
    client: httpx.AsyncClient, demo_event: str
) -> None:
    chosen = await client.get(f"/{demo_event}/", params={"tz": "Asia/Jakarta"})
    assert chosen.cookies.get(ZONE_COOKIE, "").strip('"') == "Asia/Jakarta"  # quoted: it holds a slash

    later = await client.get(f"/{demo_event}/sessions/OPEN")  # no ?tz= in the address
    assert 'data-time-zone="Asia/Jakarta"' in later.text
    agenda = await client.get(f"/{demo_event}/")
    assert card_time(agenda, "OPEN") == "08:00–08:30"

    back = await client.get(f"/{demo_event}/", params={"tz": "event"})
    assert card_time(back, "OPEN") == "09:00–09:30"
    assert ZONE_COOKIE not in client.cookies
    assert card_time(await client.get(f"/{demo_event}/"), "OPEN") == "09:00–09:30"


async def test_a_cookie_naming_no_zone_is_ignored(client: httpx.AsyncClient, demo_event: str) -> None:
    response = await client.get(f"/{demo_event}/", headers={"cookie": f"{ZONE_COOKIE}=Mars/Olympus"})

    assert response.status_code == 200
    assert card_time(response, "OPEN") == "09:00–09:30"


async def test_a_visitor_has_no_picks_and_the_answer_is_private(client: httpx.AsyncClient, demo_event: str) -> None:
    response = await client.get(f"/{demo_event}/states.json")

    assert {state["state"] for state in response.json()["states"].values()} == {"seats"}
    assert response.headers["cache-control"] == "private, no-store"
