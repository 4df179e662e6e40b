"""The back office's Relays page: organisers see every relay with its role, state, load, heartbeat age and message,
and which of their event's sessions it carries (another event's are counted, never named)."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from lxml import html as lxml_html

from server.clock import utcnow
from server.db import Database
from tests.support.http import as_person
from tests.support.relays import register
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration

REFUSED = ("delegate", "moderator", "speaker", "other_moderator")


def cells(page: str) -> dict[str, list[str]]:
    """Each relay's row, its cells' text with spaces folded, by relay name."""
    document = lxml_html.fromstring(page)
    return {
        row.get("data-relay"): [" ".join(cell.text_content().split()) for cell in row.xpath("./th|./td")]
        for row in document.xpath("//tr[@data-relay]")
    }


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_organisers_see_each_relay_with_its_load_state_and_message(
    web: httpx.AsyncClient, stage: Stage, database: Database
) -> None:
    key = str(stage.session.id)
    other = str(stage.other_session.id)
    now = utcnow()
    async with database.session() as db:
        await register(
            db, "origin1", viewers=250, cpu_percent=42.0, ingests=[key, f"{key}_ja", other], carries=[key], now=now
        )
        await register(
            db,
            "edge1",
            role="edge",
            viewers=3,
            max_viewers=300,
            carries=[key],
            message="<b>origin refused</b> the relay pass",
            now=now - dt.timedelta(seconds=20),
        )

    response = await as_person(web, stage.people["organiser"]).get(f"/{stage.event.slug}/organiser/relays")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    title = stage.session.title
    rows = cells(response.text)
    states = {name: row.pop(2) for name, row in rows.items()}  # how long ago: as slow as the machine is
    assert re.fullmatch(r"Running Last heartbeat [0-4] s ago", states["origin1"]), states
    assert re.fullmatch(r"Down Last heartbeat 2[0-4] s ago", states["edge1"]), states
    assert rows == {
        "origin1": [
            "origin1",
            "Origin",
            "250 of 1,000 (25%)",
            "42%",
            "0 Mbit/s",
            f"{title} (interpretation: Japanese) – publisher here and 1 stream of other events",
            "–",
        ],
        "edge1": [
            "edge1",
            "Edge",
            "3 of 300 (1%)",
            "5%",
            "0 Mbit/s",
            f"{title} – pulled from its origin",
            "<b>origin refused</b> the relay pass",
        ],
    }


async def test_the_relays_page_is_for_organisers_and_says_when_no_relay_registered(
    web: httpx.AsyncClient, stage: Stage
) -> None:
    path = f"/{stage.event.slug}/organiser/relays"
    refused = [(await as_person(web, stage.people[who]).get(path)).status_code for who in REFUSED]
    response = await as_person(web, stage.people["organiser"]).get(path)

    assert refused == [404] * len(REFUSED)
    document = lxml_html.fromstring(response.text)
    assert document.xpath("//tr[@data-relay]") == []
    assert " ".join(document.xpath("//p[@class='empty']")[0].text_content().split()) == (
        "No relay has registered: the site's own relay serves the streams."
    )
