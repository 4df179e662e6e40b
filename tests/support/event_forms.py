"""The event form as a browser posts it (tests/events): a valid form to change one field of, a small image."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.http import csrf

# The smallest PNG: a 1×1 pixel image.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def event_form(**changes: Any) -> dict[str, Any]:
    """A valid event form, with ``changes``."""
    return {
        "title": "Asian Dialogue Forum 2027",
        "acronym": "ADF 2027",
        "slug": "adf-2027",
        "start_date": "2027-05-20",
        "end_date": "2027-05-21",
        "timezone": "Asia/Bangkok",
        "venue": "Conference Centre",
        "address": "60 Rama IV Road, Bangkok",
        "attendance": "hybrid",
        "languages": ["en", "th"],
        "description": "Two days of dialogue.",
        "primary_color": "#1f6feb",
        "secondary_color": "",
        "contact_email": "secretariat@example.org",
        **changes,
    }


async def send_event_form(
    client: httpx.AsyncClient, path: str, data: dict[str, Any], logo: tuple[str, bytes, str] | None = None
) -> httpx.Response:
    """Posts the form as the browser does (multipart, with the CSRF token)."""
    files = {"logo": logo} if logo is not None else {"logo": ("", b"", "application/octet-stream")}
    return await client.post(path, data={"csrf_token": await csrf(client), **data}, files=files)
