"""A WHIP publisher or WHEP viewer built on GStreamer's webrtcbin, as a third-party encoder or player would be.

Runs under the system Python with Debian's GStreamer bindings (``python3-gi``), not the project's environment, and
speaks WHIP/WHEP over HTTP itself (``whipsink`` is not in GStreamer 1.22). It prints one JSON line: the peer
connection's last state, RTP packets sent (publisher) or frames decoded (viewer), and any HTTP or pipeline error.

    python3 gst_client.py publish URL TOKEN --codec vp8|h264   # publishes until its standard input closes
    python3 gst_client.py watch URL TOKEN --frames 30          # watches until 30 frames are decoded

Either gives up after ``--seconds``. ``--setup passive`` offers to be the DTLS server, making the relay the client.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402 (after the versions are chosen)

SOURCE = "videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1 ! videoconvert"
ENCODERS = {
    "vp8": "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay pt=96 ! application/x-rtp,media=video,payload=96",
    "h264": (
        "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! video/x-h264,profile=constrained-baseline"
        " ! rtph264pay pt=102 config-interval=-1 aggregate-mode=zero-latency"
        " ! application/x-rtp,media=video,payload=102"
    ),
}
VIEWER_CAPS = "application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000"
VIEWER_SINK = "rtpvp8depay ! vp8dec ! fakesink name=frames signal-handoffs=true sync=false"


class Client:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.loop = GLib.MainLoop()
        self.count = 0
        self.state = "new"
        self.http_status = 0
        self.errors: list[str] = []
        self.offered = False
        if args.role == "publish":
            self.pipeline = Gst.parse_launch(
                f"webrtcbin name=peer bundle-policy=max-bundle {SOURCE} ! {ENCODERS[args.codec]}"
                " ! identity name=sent signal-handoffs=true ! peer."
            )
            self.peer = self.pipeline.get_by_name("peer")
            self.pipeline.get_by_name("sent").connect("handoff", self._counted)
            GLib.io_add_watch(sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP, self._on_stdin)
        else:
            self.pipeline = Gst.Pipeline.new("viewer")
            self.peer = Gst.ElementFactory.make("webrtcbin", "peer")
            self.peer.set_property("bundle-policy", "max-bundle")
            self.pipeline.add(self.peer)
            direction = GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY
            self.peer.emit("add-transceiver", direction, Gst.Caps.from_string(VIEWER_CAPS))
            self.peer.connect("pad-added", self._on_pad)
        self.peer.connect("on-negotiation-needed", self._create_offer)
        self.peer.connect("notify::ice-gathering-state", self._on_gathering)
        self.peer.connect("notify::connection-state", self._on_connection_state)
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message::error", self._on_error)

    def _counted(self, *_args: object) -> None:
        self.count += 1
        if self.args.frames and self.count >= self.args.frames:
            self.loop.quit()

    def _on_stdin(self, *_args: object) -> bool:
        if not sys.stdin.buffer.read1(4096):
            self.loop.quit()
            return False
        return True

    def _on_pad(self, _element: Gst.Element, pad: Gst.Pad) -> None:
        if pad.direction != Gst.PadDirection.SRC:
            return
        decoder = Gst.parse_bin_from_description(VIEWER_SINK, True)
        self.pipeline.add(decoder)
        decoder.get_by_name("frames").connect("handoff", self._counted)
        decoder.sync_state_with_parent()
        pad.link(decoder.get_static_pad("sink"))

    def _create_offer(self, _element: Gst.Element) -> bool:
        self.peer.emit("create-offer", None, Gst.Promise.new_with_change_func(self._on_offer, None))
        return False

    def _on_offer(self, promise: Gst.Promise, _data: object) -> None:
        reply = promise.get_reply()  # keep the reply alive: the offer is borrowed from it
        offer = reply.get_value("offer")
        if offer is None:  # asked before the encoder's caps were known: ask again shortly
            GLib.timeout_add(100, self._create_offer, self.peer)
            return
        self.peer.emit("set-local-description", offer, Gst.Promise.new())

    def _on_gathering(self, *_args: object) -> None:
        # WHIP and WHEP send every candidate in the offer: wait until gathering is over, then POST once.
        complete = self.peer.get_property("ice-gathering-state") == GstWebRTC.WebRTCICEGatheringState.COMPLETE
        if complete and not self.offered:
            self.offered = True
            GLib.idle_add(self._post_offer)

    def _post_offer(self) -> bool:
        offer = self.peer.get_property("local-description").sdp.as_text()
        if self.args.setup == "passive":
            offer = offer.replace("a=setup:actpass", "a=setup:passive")
        request = urllib.request.Request(
            self.args.url,
            data=offer.encode(),
            method="POST",
            headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {self.args.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                self.http_status = response.status
                answer = response.read().decode()
        except urllib.error.HTTPError as exc:
            self.http_status = exc.code
            self.errors.append(f"HTTP {exc.code}: {exc.read().decode().strip()}")
            self.loop.quit()
            return False
        except (OSError, ValueError) as exc:
            self.errors.append(f"the offer could not be sent: {exc}")
            self.loop.quit()
            return False
        _result, message = GstSdp.SDPMessage.new_from_text(answer)
        description = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        self.peer.emit("set-remote-description", description, Gst.Promise.new())
        return False

    def _on_connection_state(self, *_args: object) -> None:
        self.state = self.peer.get_property("connection-state").value_nick

    def _on_error(self, _bus: Gst.Bus, message: Gst.Message) -> None:
        error, debug = message.parse_error()
        self.errors.append(f"{error.message} ({debug})")
        self.loop.quit()

    def run(self) -> dict[str, object]:
        self.pipeline.set_state(Gst.State.PLAYING)
        GLib.timeout_add(int(self.args.seconds * 1000), self.loop.quit)
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        counted = "packets_sent" if self.args.role == "publish" else "frames_decoded"
        return {"state": self.state, counted: self.count, "http_status": self.http_status, "errors": self.errors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("role", choices=("publish", "watch"))
    parser.add_argument("url")
    parser.add_argument("token")
    parser.add_argument("--codec", choices=sorted(ENCODERS), default="vp8")
    parser.add_argument("--frames", type=int, default=0, help="stop once this many frames are decoded")
    parser.add_argument("--seconds", type=float, default=30.0, help="give up after this long")
    parser.add_argument("--setup", choices=("actpass", "passive"), default="actpass")
    args = parser.parse_args()
    Gst.init(None)
    print(json.dumps(Client(args).run()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
