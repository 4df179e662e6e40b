"""The interpreter's console over HTTP: who may open it, the passes it publishes and listens with, the on-air
buttons, and the moderator's floor language; the relay is told who is on air after each change."""

from __future__ import annotations

import httpx
import pytest

from server.db import Database
from server.streams.tokens import read_interpreter_pass, read_viewer_pass
from tests.support.booths import Booths, FakeSwitch
from tests.support.http import Recorder, as_person, post

pytestmark = pytest.mark.integration


def _console(booths: Booths, language: str = "ja") -> str:
    return booths.world.path(f"interpret/{language}")


async def test_interpreter_opens_the_console_and_gets_passes_for_their_channel(
    booth_web: httpx.AsyncClient, booths: Booths, settings
) -> None:
    client = as_person(booth_web, booths.ja_one)
    page = await client.get(_console(booths))
    passes = (await client.get(_console(booths) + "/pass")).json()
    session_id = booths.world.session.id
    secret = settings.secret_key

    assert page.status_code == 200
    assert 'id="on-air-light"' in page.text
    assert passes["whip_url"] == f"/whip/{session_id}_ja"
    assert read_interpreter_pass(secret, f"{session_id}_ja", passes["token"]) == f"a{booths.ja_one.account.id}"
    assert read_interpreter_pass(secret, f"{session_id}_zh", passes["token"]) is None
    assert [(s["key"], s["language"]) for s in passes["sources"]] == [(str(session_id), ""), (f"{session_id}_zh", "zh")]
    assert read_viewer_pass(secret, str(session_id), passes["sources"][0]["token"]) == f"a{booths.ja_one.account.id}"


@pytest.mark.parametrize("who", ["zh", "stranger", "delegate", "moderator", "organiser", None])
async def test_console_and_passes_are_not_found_to_others(
    booth_web: httpx.AsyncClient, booths: Booths, who: str | None
) -> None:
    people = {
        "zh": booths.zh,
        "stranger": booths.stranger,
        "delegate": booths.world.delegate,
        "moderator": booths.world.moderator,
        "organiser": booths.world.organiser,
    }
    client = as_person(booth_web, people[who] if who else None)

    passes = await client.get(_console(booths) + "/pass")
    air = await post(client, _console(booths) + "/air", {"action": "on"})

    assert (passes.status_code, air.status_code) == (404, 404)


async def test_a_language_without_a_channel_has_no_console(booth_web: httpx.AsyncClient, booths: Booths) -> None:
    client = as_person(booth_web, booths.ja_one)

    assert (await client.get(_console(booths, "en"))).status_code == 404
    assert (await client.get(_console(booths, "<b>x</b>"))).status_code == 404


async def test_on_air_and_handover_reach_consoles_and_relay(
    booth_web: httpx.AsyncClient, booths: Booths, recorder: Recorder, switch: FakeSwitch
) -> None:
    one, two = booths.ja_one, booths.ja_two
    key = f"{booths.world.session.id}_ja"
    on = await post(as_person(booth_web, one), _console(booths) + "/air", {"action": "on"})
    refused = await post(as_person(booth_web, two), _console(booths) + "/air", {"action": "on"})
    offered = await post(as_person(booth_web, one), _console(booths) + "/air", {"action": "hand_over"})
    taken = await post(as_person(booth_web, two), _console(booths) + "/air", {"action": "on"})
    reasserted = await post(as_person(booth_web, one), _console(booths) + "/air", {"action": "connected"})
    nonsense = await post(as_person(booth_web, one), _console(booths) + "/air", {"action": "<script>"})

    assert on.json()["booth"]["on_air"] == {"id": one.account.id, "name": "Aiko Booth"}
    assert refused.status_code == 409
    assert refused.json() == {"error": "Aiko Booth is on air in this booth. Ask them to hand over, then take over."}
    assert offered.json()["booth"]["handover"] is True
    assert taken.json()["booth"]["on_air"]["id"] == two.account.id
    assert reasserted.status_code == 200
    assert nonsense.status_code == 400
    assert switch.calls == [(key, f"a{one.account.id}"), (key, f"a{two.account.id}"), (key, f"a{two.account.id}")]
    states = [m.data["on_air"]["id"] for m in recorder.messages if m.event == "booth.state"]
    assert states == [one.account.id, one.account.id, two.account.id]


async def test_moderator_sets_the_floor_language(
    booth_web: httpx.AsyncClient, booths: Booths, recorder: Recorder, database: Database
) -> None:
    client = as_person(booth_web, booths.world.moderator)
    path = booths.world.path("booths/floor")
    set_zh = await post(client, path, {"language": "zh"})
    refused = await post(client, path, {"language": "ko"})
    by_interpreter = await post(as_person(booth_web, booths.ja_one), path, {"language": "en"})
    moderate = await as_person(booth_web, booths.world.moderator).get(booths.world.path("moderate"))

    assert set_zh.status_code == 303
    assert by_interpreter.status_code == 404
    assert refused.status_code == 303
    assert [m.data["language"] for m in recorder.messages if m.event == "booth.floor"] == ["zh"]
    assert moderate.status_code == 200
    assert 'id="booths-panel"' in moderate.text
    assert '<option value="zh" selected>' in moderate.text


async def test_interpreters_find_their_booths_among_their_tools(booth_web: httpx.AsyncClient, booths: Booths) -> None:
    tools = await as_person(booth_web, booths.ja_one).get(f"/{booths.world.event.slug}/tools")

    assert tools.status_code == 200
    assert f'href="{_console(booths)}"' in tools.text
    assert _console(booths, "zh") not in tools.text
