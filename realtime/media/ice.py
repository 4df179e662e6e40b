"""ICE for the relay's peers and for its clients: STUN/TURN servers from settings, TURN REST credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from aiortc import RTCConfiguration, RTCIceServer

from realtime.media.config import RelaySettings


def rtc_configuration(settings: RelaySettings) -> RTCConfiguration:
    """The relay's own configuration: an explicit (by default empty) server list, never aiortc's public STUN."""
    servers = [
        RTCIceServer(urls=list(server.urls), username=server.username, credential=server.credential)
        for server in settings.ice_servers
    ]
    return RTCConfiguration(iceServers=servers)


def turn_credentials(secret: str, user: str, *, ttl: int, now: float | None = None) -> tuple[str, str]:
    """Time-limited TURN credentials in coturn's REST form: ``expiry:user`` and base64(HMAC-SHA1)."""
    expires = int(now if now is not None else time.time()) + ttl
    username = f"{expires}:{user}"
    digest = hmac.new(secret.encode("utf-8"), username.encode("utf-8"), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ice_link_headers(settings: RelaySettings, user: str | None) -> list[str]:
    """``Link: <url>; rel="ice-server"`` values a WHIP/WHEP client may configure (RFC 9725 section 4.6).

    Servers that need credentials are listed only for an authenticated ``user``: a TURN credential lets its holder
    relay traffic through the server, so an anonymous ``OPTIONS`` learns the STUN servers alone.
    """
    links = []
    for server in settings.ice_servers:
        if server.username and server.credential and user is None:
            continue
        for url in server.urls:
            link = f'<{url}>; rel="ice-server"'
            if server.username and server.credential:
                link += f"; username={_quote(server.username)}; credential={_quote(server.credential)}"
                link += '; credential-type="password"'
            links.append(link)
    if settings.turn_urls and settings.turn_secret and user is not None:
        username, credential = turn_credentials(settings.turn_secret, user, ttl=settings.turn_ttl)
        for url in settings.turn_urls:
            links.append(
                f'<{url}>; rel="ice-server"; username={_quote(username)}; credential={_quote(credential)}; '
                'credential-type="password"'
            )
    return links
