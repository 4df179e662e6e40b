"""One refusal policy on the stream's and the recording's pages: whoever the rule leaves out, and whoever asks for
another event's session, gets the same "not found" as an address that does not exist (server/permissions.py)."""

from __future__ import annotations

import httpx
import pytest

from tests.support.http import as_person, csrf
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration
JSON = {"Accept": "application/json"}
NOT_FOUND = {"error": "There is no page at this address.", "status": 404}
GUARDED = (
    ("GET", "studio"),
    ("GET", "stream/status"),
    ("POST", "stream/token"),
    ("POST", "stream/stop"),
    ("GET", "recording"),
    ("POST", "recording/schedule"),
    ("POST", "recording/delete"),
    ("POST", "recording/play"),
)


async def answers(web: httpx.AsyncClient, stage: Stage, **where: object) -> list[tuple[int, object]]:
    token = await csrf(web)
    found = []
    for method, page in GUARDED:
        data = {"csrf_token": token, "when": "manual"} if method == "POST" else None
        response = await web.request(method, stage.path(page, **where), data=data, headers=JSON)
        found.append((response.status_code, response.json()))
    return found


async def test_a_delegate_is_told_not_found_as_for_an_unknown_address(web: httpx.AsyncClient, stage: Stage) -> None:
    as_person(web, stage.people["delegate"])
    unknown = await web.get(stage.path("no-such-page"), headers=JSON)

    refused = await answers(web, stage)

    assert (unknown.status_code, unknown.json()) == (404, NOT_FOUND)
    assert refused == [(404, NOT_FOUND)] * len(GUARDED)


async def test_another_events_session_reads_the_same_as_a_refusal(web: httpx.AsyncClient, stage: Stage) -> None:
    as_person(web, stage.people["organiser"])

    theirs = await answers(web, stage, session=stage.other_session)

    assert theirs == [(404, NOT_FOUND)] * len(GUARDED)
