"""What the app itself must not show the public, with or without nginx in front (``make run`` has none):
/metrics, dotfiles among the static files, and the language cookie outside HTTPS."""

from __future__ import annotations

from dataclasses import replace

import httpx
import pytest

from server.app import create_app
from server.db import Database
from server.settings import Settings

pytestmark = pytest.mark.integration
TOKEN = "scrape-token-for-prometheus-0123456789"


def client_from(app: object, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://podium.test")


@pytest.mark.parametrize(
    ("host", "authorization", "status"),
    [
        ("127.0.0.1", None, 200),  # Prometheus on the same host, as deploy/README.md configures it
        ("::1", None, 200),
        ("203.0.113.5", None, 404),
        ("203.0.113.5", f"Bearer {TOKEN}", 200),
        ("203.0.113.5", "Bearer not-the-token", 404),
        ("203.0.113.5", TOKEN, 404),
    ],
)
async def test_metrics_are_for_this_host_or_the_bearer_of_the_token(
    settings: Settings, database: Database, host: str, authorization: str | None, status: int
) -> None:
    app = create_app(replace(settings, metrics_token=TOKEN), database, deliver_mail=False)
    async with client_from(app, host) as client:
        response = await client.get("/metrics", headers={"Authorization": authorization} if authorization else {})

    assert response.status_code == status
    assert ("podium_http_requests_total" in response.text) == (status == 200)


async def test_without_a_token_metrics_are_for_this_host_only(settings: Settings, database: Database) -> None:
    app = create_app(settings, database, deliver_mail=False)
    async with client_from(app, "203.0.113.5") as client:
        guessed = await client.get("/metrics", headers={"Authorization": "Bearer "})

    assert guessed.status_code == 404


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/static/vendor/.package-lock.json", 404),
        ("/static/vendor/%2Epackage-lock.json", 404),
        ("/static/vendor/.podium-installed", 404),
        ("/static/vendor/socket.io-client/dist/socket.io.min.js", 200),
        ("/static/podium.css", 200),
    ],
)
async def test_static_files_never_include_dotfiles(client: httpx.AsyncClient, path: str, status: int) -> None:
    response = await client.get(path)

    assert response.status_code == status


@pytest.mark.parametrize(
    ("base_url", "secure"), [("https://podium.example.org", True), ("http://127.0.0.1:8000", False)]
)
async def test_the_language_cookie_is_secure_under_https(
    settings: Settings, database: Database, base_url: str, secure: bool
) -> None:
    app = create_app(replace(settings, base_url=base_url), database, deliver_mail=False)
    async with client_from(app, "127.0.0.1") as client:
        response = await client.get("/", params={"lang": "zh-Hans"})

    [cookie] = [value for value in response.headers.get_list("set-cookie") if value.startswith("podium_lang=")]
    assert ("; Secure" in cookie) == secure
    assert "; HttpOnly; SameSite=Lax" in cookie
