"""The relay control calls (server/streams/relay_control.py) answered by the relay in this very process."""

from __future__ import annotations

from typing import Any

from realtime.media.relay import PlaybackConflict, PlaybackRefused, Relay
from realtime.media.status import any_status, on_air_keys
from server.streams.relay_control import already_playing, check_channel_key, playback_refused


class LocalRelayControl:
    def __init__(self, relay: Relay) -> None:
        self.relay = relay

    async def status(self, session_key: str) -> dict[str, Any]:
        return any_status(self.relay, session_key).as_json()

    async def stop(self, session_key: str) -> bool:
        return await self.relay.stop_stream(session_key)

    async def live(self) -> set[str]:
        return set(on_air_keys(self.relay))

    async def play(self, session_key: str, stored_name: str) -> dict[str, Any]:
        try:
            await self.relay.play(session_key, stored_name)
        except PlaybackConflict:
            raise already_playing() from None
        except PlaybackRefused as exc:
            raise playback_refused(str(exc)) from None
        return await self.status(session_key)

    async def stop_playback(self, session_key: str) -> bool:
        return await self.relay.stop_playback(session_key)

    async def set_on_air(self, channel_key: str, account: str | None) -> None:
        check_channel_key(channel_key)
        self.relay.set_on_air(channel_key, account)
