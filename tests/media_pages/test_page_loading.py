"""A session's page loads its event, programme, session and actor once per request, also when a refused form
shows the page again (server/transport/loaders.py)."""

from __future__ import annotations

import httpx
import pytest

from server.db import QueryCounter
from tests.support.http import as_person, csrf
from tests.support.speaker_stage import Stage

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_a_refused_schedule_loads_the_page_once(web: httpx.AsyncClient, stage: Stage) -> None:
    as_person(web, stage.people["organiser"])
    token = await csrf(web)
    await web.get(stage.path("recording"))  # once before: both counts are of a warm app
    with QueryCounter() as page:
        shown = await web.get(stage.path("recording"))
    with QueryCounter() as refused:
        again = await web.post(stage.path("recording/schedule"), data={"csrf_token": token, "when": "at", "at": ""})

    assert (shown.status_code, again.status_code) == (200, 400)
    assert "Please give the time the recording plays." in again.text
    assert refused.count <= page.count + 2  # the page again, and the service's look at the session
