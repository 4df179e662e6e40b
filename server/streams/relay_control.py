"""Telling a relay what to do: the stream's status, stop its publisher, play or stop a recording, and which
interpreter is on air in an interpretation channel.

``HttpRelayControl`` reaches a ``podium relay`` process at ``PODIUM_RELAY_URL`` with the control token; in one
process (``make run``) ``realtime/media/control.py`` answers the same calls from the embedded relay. Either way the
refusals come back as domain errors, with messages for people.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

import httpx

from server.errors import Conflict, InvalidInput, PodiumError
from server.i18n import gettext as _
from server.streams.channels import parse_stream_key
from server.streams.tokens import control_token

log = logging.getLogger(__name__)


LIVE_TIMEOUT = 1.0  # seconds the phases wait for the relay's list of live streams


class RelayUnavailable(PodiumError):
    status_code = 503


class RelayControl(Protocol):
    async def status(self, session_key: str) -> dict[str, Any]: ...

    async def stop(self, session_key: str) -> bool: ...

    async def live(self) -> set[str]:
        """The floor keys whose viewers get media now (a publisher sending, or a recording playing)."""
        ...

    async def play(self, session_key: str, stored_name: str) -> dict[str, Any]: ...

    async def stop_playback(self, session_key: str) -> bool: ...

    async def set_on_air(self, channel_key: str, account: str | None) -> None:
        """Forward ``account``'s audio to the channel's listeners from its next packet on; None: nobody.

        Idempotent; it may come before that interpreter connects. For a channel, ``status`` answers ``live``,
        ``on_air``, ``publishers`` (accounts connected) and ``viewers``."""
        ...


def check_channel_key(key: str) -> None:
    """A programming error, not a person's: only channel keys (server/streams/channels.py) have someone on air."""
    parsed = parse_stream_key(key)
    if parsed is None or parsed[1] is None:
        raise ValueError(f"not an interpretation channel: {key!r}")


def playback_refused(detail: str) -> InvalidInput:
    return InvalidInput(_("The relay could not play the recording: %(reason)s") % {"reason": detail})


def already_playing() -> Conflict:
    return Conflict(_("A recording is already playing in this session."))


class HttpRelayControl:
    """The control endpoints of a relay process (realtime/media/status.py), with its control token."""

    def __init__(self, base_url: str, secret: str, *, timeout: float = 5.0, live_urls: tuple[str, ...] = ()) -> None:
        self.base_url = base_url.rstrip("/")
        # Behind nginx, a call without a session reaches one relay: each relay is asked for its live streams itself.
        self.live_urls = tuple(url.rstrip("/") for url in live_urls) or (self.base_url,)
        self._headers = {"Authorization": f"Bearer {control_token(secret)}"}
        self._timeout = timeout

    async def _call(self, method: str, path: str, json: Any = None) -> httpx.Response:
        try:
            async with httpx.AsyncClient(base_url=self.base_url, timeout=self._timeout) as client:
                return await client.request(method, path, headers=self._headers, json=json)
        except httpx.HTTPError as exc:
            log.warning("relay control %s %s failed: %s", method, path, exc)
            raise RelayUnavailable(_("The media relay did not answer. Please try again shortly.")) from None

    def _unexpected(self, response: httpx.Response) -> RelayUnavailable:
        log.warning("relay control answered %s: %s", response.status_code, response.text.strip()[:200])
        return RelayUnavailable(_("The media relay did not answer. Please try again shortly."))

    async def status(self, session_key: str) -> dict[str, Any]:
        response = await self._call("GET", f"/relay/status/{session_key}")
        if response.status_code != 200:
            raise self._unexpected(response)
        body: dict[str, Any] = response.json()
        return body

    async def live(self) -> set[str]:
        """The union of every relay's live streams; unavailable only when no relay answers."""
        answers = await asyncio.gather(*(self._live_of(url) for url in self.live_urls), return_exceptions=True)
        found = [answer for answer in answers if isinstance(answer, set)]
        if not found:
            raise RelayUnavailable(_("The media relay did not answer. Please try again shortly."))
        return set().union(*found)

    async def _live_of(self, base_url: str) -> set[str]:
        # Pages wait on this (through the phases' short cache): a relay that does not answer soon is taken as none.
        try:
            async with httpx.AsyncClient(base_url=base_url, timeout=LIVE_TIMEOUT) as client:
                response = await client.get("/relay/live", headers=self._headers)
        except httpx.HTTPError as exc:
            log.warning("relay control GET %s/relay/live failed: %s", base_url, exc)
            raise RelayUnavailable(_("The media relay did not answer. Please try again shortly.")) from None
        if response.status_code != 200:
            raise self._unexpected(response)
        keys = response.json().get("live")
        return {key for key in keys if isinstance(key, str)} if isinstance(keys, list) else set()

    async def stop(self, session_key: str) -> bool:
        response = await self._call("POST", f"/relay/streams/{session_key}/stop")
        if response.status_code not in (204, 404):
            raise self._unexpected(response)
        return response.status_code == 204

    async def play(self, session_key: str, stored_name: str) -> dict[str, Any]:
        response = await self._call("POST", f"/relay/streams/{session_key}/playback", {"file": stored_name})
        if response.status_code == 409:
            raise already_playing()
        if response.status_code == 422:
            raise playback_refused(response.text.strip())
        if response.status_code != 201:
            raise self._unexpected(response)
        body: dict[str, Any] = response.json()
        return body

    async def stop_playback(self, session_key: str) -> bool:
        response = await self._call("DELETE", f"/relay/streams/{session_key}/playback")
        if response.status_code not in (204, 404):
            raise self._unexpected(response)
        return response.status_code == 204

    async def set_on_air(self, channel_key: str, account: str | None) -> None:
        check_channel_key(channel_key)
        response = await self._call("PUT", f"/relay/channels/{channel_key}/on-air", {"account": account})
        if response.status_code != 200:
            raise self._unexpected(response)
