"""Hostile HTTP input answers 4xx with a message, never a 500: NUL bytes in addresses and forms (PostgreSQL's
text holds none), ids beyond 64 bits, malformed uploads, dates at the ends of the calendar. Then every route
of the app, with each such input in each place it takes one."""

from __future__ import annotations

import re
from urllib.parse import quote

import httpx
import pytest
from starlette.routing import Route

from server.transport.auth import CSRF_COOKIE, SESSION_COOKIE
from tests.support.hostile import Site

pytestmark = pytest.mark.integration
BOTH_BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)

NUL = "a\x00b"
HUGE_ID = str(10**20)  # beyond any 64-bit integer
BAD_ADDRESS = "This address contains characters Podium cannot accept, such as a NUL byte."
BAD_FORM = "The form contains characters Podium cannot accept, such as a NUL byte."
NOT_FOUND = "There is no page at this address."
BAD_UPLOAD = "The upload was not a well-formed form. Please send it again with the upload form."
OUT_OF_YEARS = "Please give a time in the years 1900 to 2999."

SIGN_IN = {"email": "ada@example.org", "next": "/"}
REGISTRATION = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "country": "GB",
    "organisation": "Analytical Society",
    "job_title": "Programmer",
    "attendance": "online",
    "language": "en",
    "accessibility_needs": "",
    "listed": "yes",
}


def message(response: httpx.Response) -> str:
    """The message a person reads: the JSON error, or the HTML page's text."""
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json()["error"])
    return response.text


async def csrf(client: httpx.AsyncClient) -> str:
    if CSRF_COOKIE not in client.cookies:
        await client.get("/signin")
    return str(client.cookies[CSRF_COOKIE])


def sign_in(site: Site) -> None:
    site.client.cookies.set(SESSION_COOKIE, site.organiser.token)


def with_nul(values: dict[str, str], field: str) -> dict[str, str]:
    return {**values, field: values[field] + NUL}


@BOTH_BACKENDS
@pytest.mark.parametrize(
    ("path", "json"),
    [("/a%00b/", False), ("/api/v1/events/a%00b", True), ("/api/v1/events?q=a%00b", True), ("/?lang=en&q=%00", False)],
)
async def test_a_nul_in_the_address_is_a_400_with_a_message(site: Site, path: str, json: bool) -> None:
    response = await site.client.get(path)

    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json" if json else "text/html")
    assert BAD_ADDRESS in message(response)


@BOTH_BACKENDS
@pytest.mark.parametrize("field", list(SIGN_IN))
async def test_a_nul_in_any_sign_in_field_is_a_400_with_a_message(site: Site, field: str) -> None:
    response = await site.client.post(
        "/signin", data={"csrf_token": await csrf(site.client), **with_nul(SIGN_IN, field)}
    )

    assert response.status_code == 400
    assert BAD_FORM in message(response)


@BOTH_BACKENDS
@pytest.mark.parametrize("field", list(REGISTRATION))
async def test_a_nul_in_any_registration_field_is_a_400_with_a_message(site: Site, field: str) -> None:
    response = await site.client.post(
        f"/{site.event.slug}/register",
        data={"csrf_token": await csrf(site.client), **with_nul(REGISTRATION, field)},
    )

    assert response.status_code == 400
    assert BAD_FORM in message(response)


@BOTH_BACKENDS
@pytest.mark.parametrize(
    "page",
    [
        "organiser/people/{id}/remove",
        "organiser/announcements/{id}/remove",
        "organiser/speakers/{id}/link",
        "organiser/speakers/{id}/unlink",
    ],
)
async def test_an_id_beyond_64_bits_is_not_found(site: Site, page: str) -> None:
    sign_in(site)

    response = await site.client.post(
        f"/{site.event.slug}/{page.format(id=HUGE_ID)}", data={"csrf_token": await csrf(site.client)}
    )

    assert response.status_code == 404
    assert NOT_FOUND in message(response)


MALFORMED_UPLOADS = {
    "no boundary in the body": (b"just some bytes", "B0UNDARY"),
    "a header line without a colon": (b"--B0UNDARY\r\nnot a header\r\n\r\nvalue\r\n--B0UNDARY--\r\n", "B0UNDARY"),
    "a boundary of 300 characters": (b"--" + b"b" * 300 + b"\r\n", "b" * 300),
    "garbage after the boundary": (b"--B0UNDARY\x00\x01\x02garbage", "B0UNDARY"),
}


@BOTH_BACKENDS
@pytest.mark.parametrize("case", list(MALFORMED_UPLOADS))
async def test_a_malformed_upload_is_a_400_with_a_message_and_leaves_no_file(site: Site, case: str) -> None:
    body, boundary = MALFORMED_UPLOADS[case]
    sign_in(site)
    await csrf(site.client)

    response = await site.client.post(
        f"/{site.event.slug}/sessions/{site.session.code}/recording",
        content=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", "Accept": "application/json"},
    )

    assert (response.status_code, message(response)) == (400, BAD_UPLOAD)
    assert site.media_files() == []


@BOTH_BACKENDS
@pytest.mark.parametrize("at", ["0001-01-01T00:00", "9999-12-31T23:59", "3000-01-01T00:00"])
async def test_a_play_time_at_the_ends_of_the_calendar_is_a_400_with_a_message(site: Site, at: str) -> None:
    sign_in(site)

    response = await site.client.post(
        f"/{site.event.slug}/sessions/{site.session.code}/recording/schedule",
        data={"csrf_token": await csrf(site.client), "when": "at", "at": at},
    )

    assert response.status_code == 400
    assert OUT_OF_YEARS in message(response)


# --- Every route ----------------------------------------------------------------------------------------

PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")
HOSTILE_VALUES = [NUL, HUGE_ID, "-1", "%", "x" * 3000]


def routes(site: Site) -> list[tuple[str, str]]:
    """(method, path template) of every named route the app serves, from its Starlette router."""
    found = []
    for route in site.app.other_asgi_app.routes:
        if isinstance(route, Route):
            found += [(method, route.path) for method in sorted(route.methods or {"GET"}) if method != "HEAD"]
    return sorted(found, key=lambda route: "signout" in route[1])  # signing out last keeps the organiser in


def filled(site: Site, template: str, hostile: str | None = None, at: str = "") -> str:
    """The path with real values, except ``hostile`` at the parameter ``at``."""
    real = {"slug": site.event.slug, "code": site.session.code, "session_key": str(site.session.id)}

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        text = hostile if name == at and hostile is not None else real.get(name, "999999")
        return quote(text, safe="")

    return PARAMETER.sub(value, template)


def bodies(token: str) -> list[dict[str, object]]:
    form = {"csrf_token": token, "email": NUL, "name": NUL, "text": NUL, "when": "at", "at": "0001-01-01T00:00"}
    return [
        {},
        {"data": {"csrf_token": token}},
        {"data": form},
        {"content": b"--B\r\nbroken", "headers": {"Content-Type": "multipart/form-data; boundary=B"}},
        {"content": b"\xff\xfe" + NUL.encode(), "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"content": b'{"a": [[[[[[[[', "headers": {"Content-Type": "application/json"}},
    ]


@BOTH_BACKENDS
async def test_no_route_answers_a_500_to_hostile_input(site: Site) -> None:
    sign_in(site)
    token = await csrf(site.client)
    crashes = []

    for method, template in routes(site):
        names = [found.group(1) for found in PARAMETER.finditer(template)]
        paths = [filled(site, template, hostile, name) for name in names for hostile in HOSTILE_VALUES]
        paths += [filled(site, template) + "?q=%00&day=0001-01-01&tz=%00&token=" + HUGE_ID]
        for path in paths:
            for body in bodies(token) if method not in ("GET", "OPTIONS") else [{}]:
                response = await site.client.request(method, path, **body)  # type: ignore[arg-type]
                if response.status_code >= 500:
                    crashes.append((method, path[:80], sorted(body), response.status_code))

    assert crashes == []
    assert site.media_files() == []
