"""Publish tokens, viewer passes, TURN credentials and relay settings."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest

from realtime.media.config import IceServer, RelaySettings, parse_ice_servers
from realtime.media.ice import ice_link_headers, rtc_configuration, turn_credentials
from realtime.media.stored_tokens import StoredPublishTokens, TokensUnavailable
from server.db import Database
from server.settings import SettingsError
from server.streams.tokens import PublishTokens, check_publish_token, publish_token, read_viewer_pass, viewer_pass

pytestmark = pytest.mark.unit


async def test_publish_token_is_per_session_and_rotates() -> None:
    tokens = PublishTokens("s3cret")
    first = tokens.token("opening")

    assert await tokens.verify("opening", first) is True
    assert await tokens.verify("closing", first) is False
    rotated = tokens.rotate("opening")
    assert await tokens.verify("opening", first) is False
    assert await tokens.verify("opening", rotated) is True
    assert check_publish_token("s3cret", "opening", publish_token("other", "opening", 1), 1) is False


async def test_stored_tokens_refuse_malformed_tokens_and_say_when_the_database_is_away(tmp_path: Path) -> None:
    # A database the relay can open but not read (no tables): a failed connect would leave aiosqlite's thread behind.
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    tokens = StoredPublishTokens("s3cret", database)

    try:
        malformed = [
            await tokens.verify("17", "no-generation"),
            await tokens.verify("17", "1234567890." + "x" * 32),
            await tokens.verify("not-a-session", publish_token("s3cret", "not-a-session", 0)),
        ]
        with pytest.raises(TokensUnavailable) as unavailable:
            await tokens.verify("17", publish_token("s3cret", "17", 0))
    finally:
        await database.dispose()

    assert malformed == [False, False, False]
    assert unavailable.value.status == 503


def test_viewer_pass_names_its_account_until_it_expires() -> None:
    token = viewer_pass("s3cret", "opening", "account-17", expires_at=2_000)

    assert read_viewer_pass("s3cret", "opening", token, now=1_999) == "account-17"
    assert read_viewer_pass("s3cret", "opening", token, now=2_001) is None
    assert read_viewer_pass("s3cret", "closing", token, now=1_000) is None
    assert read_viewer_pass("other", "opening", token, now=1_000) is None
    other_account = viewer_pass("s3cret", "opening", "account-18", expires_at=2_000)
    forged = ".".join(other_account.split(".")[:3] + token.split(".")[3:])
    assert read_viewer_pass("s3cret", "opening", forged, now=1_000) is None
    assert read_viewer_pass("s3cret", "opening", "view.garbage", now=1_000) is None


def test_turn_credentials_follow_the_coturn_rest_scheme() -> None:
    username, credential = turn_credentials("turn-secret", "watch-17", ttl=600, now=1_000)

    expected = base64.b64encode(hmac.new(b"turn-secret", b"1600:watch-17", hashlib.sha1).digest()).decode()
    assert (username, credential) == ("1600:watch-17", expected)


def test_settings_default_to_no_ice_servers_and_refuse_the_development_secret_in_production() -> None:
    settings = RelaySettings.from_env({})

    assert settings.ice_servers == ()
    assert rtc_configuration(settings).iceServers == []
    with pytest.raises(SettingsError):
        RelaySettings.from_env({"PODIUM_ENV": "production"})


def test_settings_read_ice_servers_turn_and_limits() -> None:
    settings = RelaySettings.from_env(
        {
            "PODIUM_SECRET_KEY": "x" * 40,
            "PODIUM_RELAY_ICE_SERVERS": '[{"urls": "stun:stun.example.org:3478"}]',
            "PODIUM_RELAY_TURN_URLS": "turn:turn.example.org:3478?transport=udp",
            "PODIUM_RELAY_TURN_SECRET": "turn-secret",
            "PODIUM_RELAY_HOST_ADDRESSES": "127.0.0.1",
            "PODIUM_RELAY_MAX_VIEWERS_PER_IP": "7",
        }
    )

    assert settings.ice_servers == (IceServer(urls=("stun:stun.example.org:3478",)),)
    assert settings.host_addresses == ("127.0.0.1",)
    assert settings.max_viewers_per_ip == 7
    links = ice_link_headers(settings, "watch-1")
    assert links[0] == '<stun:stun.example.org:3478>; rel="ice-server"'
    assert links[1].startswith('<turn:turn.example.org:3478?transport=udp>; rel="ice-server"; username="')
    with pytest.raises(SettingsError):
        parse_ice_servers("[{}]")
