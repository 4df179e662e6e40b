"""Chromium as an interpreter and as a listener of a channel: its Opus (fake microphone) goes through the relay
undecoded and is heard, its energy growing, by a Chromium listener; the other interpreter, off air, is not."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from realtime.media.app import create_relay_app
from realtime.media.config import RelaySettings
from realtime.media.policy import signed_policy
from server.streams.relay_control import HttpRelayControl
from server.streams.tokens import PublishTokens, interpreter_pass, viewer_pass
from tests.support.browser import chromium
from tests.support.media import SECRET
from tests.support.servers import ThreadedServer
from tests.support.stream_site import MEDIA_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHANNEL = "12_ja"

# Publish the fake microphone over WHIP, or listen over WHEP, from the relay's own origin (no CORS needed).
CONNECT = """async ([path, token, publishing]) => {
  const pc = new RTCPeerConnection();
  if (publishing) {
    const stream = await navigator.mediaDevices.getUserMedia({audio: true});
    pc.addTransceiver(stream.getAudioTracks()[0], {direction: "sendonly"});
  } else {
    pc.addTransceiver("audio", {direction: "recvonly"});
    pc.ontrack = (event) => { const audio = new Audio(); audio.srcObject = event.streams[0] || new MediaStream([event.track]); audio.play(); };
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    if (pc.iceGatheringState === "complete") return done();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && done();
    setTimeout(done, 3000);
  });
  const response = await fetch(path, {method: "POST", body: pc.localDescription.sdp,
    headers: {"Content-Type": "application/sdp", "Authorization": "Bearer " + token}});
  if (response.status !== 201) return response.status + " " + await response.text();
  await pc.setRemoteDescription({type: "answer", sdp: await response.text()});
  (window.peers = window.peers || []).push(pc);
  return "ok";
}"""

HEARD = """async () => {
  const pc = window.peers[window.peers.length - 1];
  for (const report of (await pc.getStats()).values()) {
    if (report.type === "inbound-rtp" && report.kind === "audio")
      return {packets: report.packetsReceived, energy: report.totalAudioEnergy || 0, lost: report.packetsLost};
  }
  return {packets: 0, energy: 0, lost: 0};
}"""


@pytest.fixture
def relay_site(settings: RelaySettings, tokens: PublishTokens) -> Iterator[tuple[ThreadedServer, Starlette]]:
    app = create_relay_app(settings, policy=signed_policy(SECRET, tokens))
    server = ThreadedServer(app)
    server.start()
    yield server, app
    server.stop()


async def test_a_chromium_interpreter_on_air_is_heard_by_a_chromium_listener(
    relay_site: tuple[ThreadedServer, Starlette],
) -> None:
    server, app = relay_site
    control = HttpRelayControl(server.url, SECRET)
    expires = int(time.time()) + 300
    async with chromium(*MEDIA_ARGS, "--autoplay-policy=no-user-gesture-required") as browser:
        interpreter = await browser.new_page()
        listener = await browser.new_page()
        for page in (interpreter, listener):
            await page.goto(f"{server.url}/relay/status")  # any page of the relay's origin
        published = await interpreter.evaluate(
            CONNECT, [f"/whip/{CHANNEL}", interpreter_pass(SECRET, CHANNEL, "a5", expires_at=expires), True]
        )
        listening = await listener.evaluate(
            CONNECT, [f"/whep/{CHANNEL}", viewer_pass(SECRET, CHANNEL, "d", expires_at=expires), False]
        )
        await listener.wait_for_timeout(1500)
        silent = await listener.evaluate(HEARD)  # nobody on air yet
        await control.set_on_air(CHANNEL, "a5")
        await listener.wait_for_timeout(2500)
        first = await listener.evaluate(HEARD)
        await listener.wait_for_timeout(1500)
        later = await listener.evaluate(HEARD)
        status = await control.status(CHANNEL)

    assert (published, listening) == ("ok", "ok")
    assert silent["packets"] == 0
    assert first["packets"] > 50 and later["packets"] > first["packets"] + 50  # 50 packets a second
    assert later["energy"] > first["energy"] > 0  # Chromium's fake microphone beeps: heard, not silence
    assert later["lost"] == 0
    assert status["publishers"] == ["a5"] and status["live"] is True and status["viewers"] == 1
    assert app.state.media.relay.channels[CHANNEL].forwarded > 100
