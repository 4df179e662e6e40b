"""API tokens as an organiser makes them in the browser, and the header an integration sends them in."""

from __future__ import annotations

import httpx

from tests.support.html import page
from tests.support.http import post


async def make_token(client: httpx.AsyncClient, slug: str, scope: str = "read-write", name: str = "CRM") -> str:
    """A new token made on the event's API page by the organiser ``client`` is signed in as; shown once."""
    made = await post(client, f"/{slug}/organiser/api", {"name": name, "scope": scope, "expires_on": ""})
    assert made.status_code == 200, made.text
    return str(page(made).xpath("//code[@id='new-token']/text()")[0])


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}
