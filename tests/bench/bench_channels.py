"""Interpretation channels: one session with its floor (640x360 VP8 and audio) and 4 channels of two interpreters
each (one on air), 200 listeners spread over the channels, in other processes than the relay.

Run: .venv/bin/python -m tests.bench.bench_channels [--listeners 200] [--baseline 200] [--seconds 10] [--write]

Measures, in one run:
- packets each listener received against those the channel sent it over the same stretch (from the RTP timestamps,
  which rise by 960 per packet the channel forwards: a packet the relay dropped anywhere shows), goal within 1%;
- the relay process's CPU (median of one-second samples) per channel listener above the relay with its publishers
  only, against the baseline of the same relay's floor audio fanned out to audio-only viewers (decoded and encoded
  once, then the same packetising per viewer); the ingest of the 8 interpreters against none;
- mouth-to-ear delay on loopback: interpreters send 200 ms marker-tone bursts each second (one pitch per
  interpreter); one decoding listener per channel notes when each burst is heard; p95 goal under 400 ms;
- a handover in every channel halfway through: no gap in the listeners' packets, the other pitch never heard before.

Subcommands run the parts: ``serve PORT``, ``publish BASE``, ``listen BASE KEYS COUNT --decoding K``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
from aiortc.rtcdtlstransport import RTCDtlsTransport

from realtime.media.internals import restrict_host_addresses
from server.streams.channels import channel_key, floor_key
from server.streams.tokens import control_token, interpreter_pass, publish_token
from tests.bench.bench_relay import module, read_line, rss_mib, running, sample_cpu
from tests.bench.results import RESULTS, write_section
from tests.support.ports import free_port, wait_for_port

SECRET = "channel-benchmark-secret"
SESSION = 7
LANGUAGES = ("ja", "ko", "zh-Hans", "ar")
BOOTH = ("a1", "a2")  # each channel's two interpreters: a1 on air first, a2 after the handover
PITCHES = {"a1": 400, "a2": 1200}
BURSTS = (0.2, 0.8)  # seconds of marker tone, seconds of silence
SECTION = "## Interpretation channels"


def channels() -> list[str]:
    return [channel_key(SESSION, language) for language in LANGUAGES]


# The relay: as `podium relay` runs it, with signed interpreter passes, and listeners admitted without a pass.


def serve(port: int) -> None:
    import uvicorn  # noqa: PLC0415

    from realtime.media.app import create_relay_app  # noqa: PLC0415
    from realtime.media.config import RelaySettings  # noqa: PLC0415
    from realtime.media.policy import Admission, RelayPolicy, ViewerRequest, signed_policy  # noqa: PLC0415
    from server.streams.tokens import PublishTokens  # noqa: PLC0415

    signed = signed_policy(SECRET, PublishTokens(SECRET))

    async def anyone(request: ViewerRequest) -> Admission:
        return Admission(allowed=True, account=None)

    policy = RelayPolicy(
        verify_publish=signed.verify_publish, admit_viewer=anyone, admit_interpreter=signed.admit_interpreter
    )
    settings = RelaySettings(
        secret_key=SECRET,
        host_addresses=("127.0.0.1",),
        max_viewers=5000,
        max_viewers_per_ip=5000,
        signalling_per_ip_per_minute=100_000,
        connect_timeout=60,
    )
    restrict_host_addresses(["127.0.0.1"])
    uvicorn.run(create_relay_app(settings, policy=policy), host="127.0.0.1", port=port, log_level="warning")


# The publishers: the floor's encoder and the 8 interpreters, in one process.


async def run_publishers(base: str) -> None:
    from tests.bench.relay_pool import steady_publisher_bitrate  # noqa: PLC0415
    from tests.media.clients import publish  # noqa: PLC0415
    from tests.media.synthetic import PatternTrack, ToneTrack  # noqa: PLC0415

    steady_publisher_bitrate()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    expires = int(time.time()) + 3600
    tones: dict[str, ToneTrack] = {}
    async with httpx.AsyncClient(timeout=30) as client:
        floor = floor_key(SESSION)
        floor_token = publish_token(SECRET, floor, 0)
        peers = [await publish(client, f"{base}/whip/{floor}", floor_token, PatternTrack(), ToneTrack(800))]
        for key in channels():
            for account in BOOTH:
                tone = tones[f"{key}/{account}"] = ToneTrack(PITCHES[account], bursts=BURSTS)
                token = interpreter_pass(SECRET, key, account, expires_at=expires)
                peers.append(await publish(client, f"{base}/whip/{key}", token, tone))
        print("PUBLISHING", flush=True)
        reader = asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        await asyncio.wait([reader, asyncio.ensure_future(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        print(json.dumps({name: tone.onsets for name, tone in tones.items()}), flush=True)
        await stop.wait()
        for peer in peers:
            await peer.close()


# The listeners: all but a few count packets from their RTP headers; one per channel decodes, to hear the tones.


@dataclass
class Count:
    """What one counting listener received while counting: packets, and the span of the channel's timeline."""

    packets: int = 0
    span: int = 0  # RTP ticks from the first packet counted to the last
    last_timestamp: int | None = None
    last_sequence: int | None = None
    sequence_jumps: int = 0
    last_at: float = 0.0
    longest_pause: float = 0.0

    @property
    def sent(self) -> int:
        """Packets the channel forwarded over the stretch this listener counted: its timeline rises 960 a packet."""
        return 0 if self.last_timestamp is None else self.span // 960 + 1


_counting = False
_counts: dict[RTCDtlsTransport, Count] = {}
_original_handle_rtp = RTCDtlsTransport._handle_rtp_data


async def _count_rtp(self: RTCDtlsTransport, data: bytes, arrival_time_ms: int) -> None:
    count = _counts.get(self)
    if count is None:
        await _original_handle_rtp(self, data, arrival_time_ms)
        return
    if not _counting or len(data) < 12:
        return
    now = time.monotonic()
    sequence = int.from_bytes(data[2:4], "big")
    timestamp = int.from_bytes(data[4:8], "big")
    if count.last_timestamp is not None and count.last_sequence is not None:
        count.span += (timestamp - count.last_timestamp) % 2**32
        count.sequence_jumps += (sequence - count.last_sequence) % 65536 != 1
        count.longest_pause = max(count.longest_pause, now - count.last_at)
    count.packets += 1
    count.last_timestamp, count.last_sequence, count.last_at = timestamp, sequence, now


@dataclass
class Ear:
    """A decoding listener: every loud 20 ms it heard, with its pitch."""

    key: str
    heard: list[tuple[float, int]] = field(default_factory=list)
    frames: int = 0


async def _hear(ear: Ear, track: object) -> None:
    from tests.media.synthetic import hear  # noqa: PLC0415

    while True:
        frame = await track.recv()  # type: ignore[attr-defined]
        ear.frames += 1
        if _counting:
            heard = hear(frame)
            pitch = min(PITCHES.values(), key=lambda p: abs(p - heard.frequency))
            if heard.loud and abs(pitch - heard.frequency) < 0.15 * pitch:  # not a burst's edge, half tone
                ear.heard.append((time.monotonic(), pitch))


async def run_listeners(base: str, keys: list[str], count: int, seconds: float, decoding: int) -> None:
    global _counting
    from tests.media.clients import SignallingFailed, watch  # noqa: PLC0415

    RTCDtlsTransport._handle_rtp_data = _count_rtp  # type: ignore[method-assign]
    ears: list[Ear] = []
    counted: list[Count] = []
    peers = []
    tasks: list[asyncio.Task[None]] = []
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=20)) as client:
        semaphore = asyncio.Semaphore(10)

        async def join(index: int) -> None:
            key = keys[index % len(keys)]
            async with semaphore:
                for attempt in range(5):
                    try:
                        peer = await watch(client, f"{base}/whep/{key}", None, kinds=("audio",))
                        break
                    except (SignallingFailed, httpx.HTTPError):
                        await asyncio.sleep(0.5 * (attempt + 1))
                else:
                    raise RuntimeError("a listener could not join")
            peers.append(peer)
            if index < decoding:
                ear = Ear(key)
                ears.append(ear)
                tasks.append(asyncio.create_task(_hear(ear, peer.tracks["audio"])))
            else:
                counted.append(_counts.setdefault(peer.pc.getReceivers()[0].transport, Count()))

        started = time.monotonic()
        await asyncio.gather(*(join(n) for n in range(count)))
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(60):
                while any(peer.pc.connectionState != "connected" for peer in peers):
                    await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)
        print(f"READY {time.monotonic() - started:.1f}", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        _counting = True
        await asyncio.sleep(seconds)
        _counting = False
        result = {
            "received": [c.packets for c in counted],
            "sent": [c.sent for c in counted],
            "sequence_jumps": sum(c.sequence_jumps for c in counted),
            "longest_pause": max((c.longest_pause for c in counted), default=0.0),
            "connected": sum(peer.pc.connectionState == "connected" for peer in peers),
            "ears": {ear.key: ear.heard for ear in ears},
        }
        print(json.dumps(result), flush=True)
        for task in tasks:
            task.cancel()
        for peer in peers:
            with contextlib.suppress(Exception):
                await peer.pc.close()


# The run.


def control(base: str, method: str, path: str, body: object = None) -> dict[str, object]:
    request = urllib.request.Request(
        f"{base}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {control_token(SECRET)}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (a loopback URL of ours)
        answer: dict[str, object] = json.loads(response.read())
        return answer


def put_on_air(base: str, account: str) -> float:
    for key in channels():
        control(base, "PUT", f"/relay/channels/{key}/on-air", {"account": account})
    return time.monotonic()


@contextmanager
def relay_server() -> Iterator[tuple[int, str]]:
    port = free_port()
    with running(module("tests.bench.bench_channels", "serve", str(port))) as server:
        wait_for_port(port, server, "the relay")
        yield server.pid, f"http://127.0.0.1:{port}"


@dataclass
class Pool:
    relay_cpu: float
    pool_cpu: float
    join: float
    result: dict[str, object]


def listen(pid: int, base: str, keys: list[str], count: int, seconds: float, decoding: int, mid: object = None) -> Pool:
    """``count`` listeners: the counting ones in one process, the ``decoding`` ones in another, so a decoding
    listener's delay is the relay's and its own, not that of a process busy with hundreds of others."""
    groups = [(count - decoding, 0), (decoding, decoding)] if decoding else [(count, 0)]
    with contextlib.ExitStack() as stack:
        pools = []
        for size, decoders in groups:
            command = [
                "listen",
                base,
                ",".join(keys),
                str(size),
                "--seconds",
                str(seconds),
                "--decoding",
                str(decoders),
            ]
            pools.append(
                stack.enter_context(
                    running(
                        module("tests.bench.bench_channels", *command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                    )
                )
            )
        join = max(float(read_line(pool, "READY").split()[1]) for pool in pools)
        for pool in pools:
            assert pool.stdin is not None
            pool.stdin.write("GO\n")
            pool.stdin.flush()
        timer = None
        if callable(mid):
            import threading  # noqa: PLC0415

            timer = threading.Timer(seconds / 2, mid)
            timer.start()
        relay_cpu, *pool_cpu = sample_cpu([pid, *(pool.pid for pool in pools)], seconds)
        if timer is not None:
            timer.join()
        results = [json.loads(read_line(pool, "{")) for pool in pools]
        for pool in pools:
            pool.wait(timeout=60)
    result = {
        "received": [n for r in results for n in r["received"]],
        "sent": [n for r in results for n in r["sent"]],
        "sequence_jumps": sum(r["sequence_jumps"] for r in results),
        "longest_pause": max(r["longest_pause"] for r in results),
        "connected": sum(r["connected"] for r in results),
        "ears": {key: heard for r in results for key, heard in r["ears"].items()},
    }
    return Pool(statistics.median(relay_cpu), statistics.median(pool_cpu[0]), join, result)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def delays(ears: dict[str, list[list[float]]], onsets: dict[str, list[float]]) -> list[float]:
    """Each burst a decoding listener heard begin, against when its interpreter's tone began."""
    found: list[float] = []
    for key, heard in ears.items():
        last_at = float("-inf")
        for at, pitch in heard:
            if at - last_at > 0.1:  # after a silence: a burst begins
                account = next(a for a, p in PITCHES.items() if p == pitch)
                sent = [onset for onset in onsets.get(f"{key}/{account}", []) if onset <= at]
                if sent and at - sent[-1] < sum(BURSTS) * 0.9:
                    found.append(at - sent[-1])
            last_at = at
    return found


def runs(heard: list[list[float]]) -> list[tuple[float, int, int]]:
    """(start, pitch, frames) of each run of frames heard one after the other with the same pitch."""
    found: list[tuple[float, int, int]] = []
    last_at = float("-inf")
    for at, pitch in heard:
        if found and found[-1][1] == pitch and at - last_at < 0.05:
            found[-1] = (found[-1][0], int(pitch), found[-1][2] + 1)
        else:
            found.append((at, int(pitch), 1))
        last_at = at
    return found


def wrong_voices(ears: dict[str, list[list[float]]], handover: float) -> int:
    """Stretches of 60 ms or more of the interpreter off air: a2's pitch before the handover, a1's once a2 was
    heard. (A single frame at a burst's edge may show any pitch; a voice that leaked would last a whole burst.)"""
    wrong = 0
    for heard in ears.values():
        switched = next((at for at, pitch in heard if pitch == PITCHES["a2"] and at >= handover), None)
        for at, pitch, frames in runs(heard):
            off_air = (pitch == PITCHES["a2"] and at < handover) or (
                pitch == PITCHES["a1"] and switched is not None and at > switched
            )
            if off_air and frames >= 3:
                wrong += 1
    return wrong


def run(listeners: int, baseline: int, seconds: float) -> dict[str, object]:
    figures: dict[str, object] = {"listeners": listeners, "baseline_viewers": baseline, "seconds": seconds}
    with relay_server() as (pid, base):
        time.sleep(2)
        figures["cpu_empty"] = statistics.median(sample_cpu([pid], 4)[0])
        put_on_air(base, "a1")
        with running(
            module("tests.bench.bench_channels", "publish", base, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ) as publishers:
            read_line(publishers, "PUBLISHING")
            time.sleep(3)
            floor_only = control(base, "GET", f"/relay/status/{floor_key(SESSION)}")
            figures["cpu_publishers"] = statistics.median(sample_cpu([pid], seconds)[0])
            figures["rss_publishers"] = rss_mib(pid)
            print(
                f"relay: empty {figures['cpu_empty']:.1f}%, floor + 8 interpreters {figures['cpu_publishers']:.1f}%",
                flush=True,
            )
            handover: list[float] = []
            before = {key: control(base, "GET", f"/relay/status/{key}") for key in channels()}
            started = time.monotonic()
            pool = listen(
                pid,
                base,
                channels(),
                listeners,
                seconds,
                len(LANGUAGES),
                lambda: handover.append(put_on_air(base, "a2")),
            )
            after = {key: control(base, "GET", f"/relay/status/{key}") for key in channels()}
            elapsed = time.monotonic() - started
            figures["rss_listeners"] = rss_mib(pid)
            assert publishers.stdin is not None
            publishers.stdin.write("REPORT\n")
            publishers.stdin.flush()
            onsets = json.loads(read_line(publishers, "{"))
            result = pool.result
            received, sent = result["received"], result["sent"]
            losses = [100 * (s - r) / s for r, s in zip(received, sent, strict=True) if s]  # type: ignore[call-overload]
            heard = delays(result["ears"], onsets)  # type: ignore[arg-type]
            figures.update(
                cpu_listeners=pool.relay_cpu,
                per_listener=(pool.relay_cpu - figures["cpu_publishers"]) / listeners,  # type: ignore[operator]
                pool_cpu=pool.pool_cpu,
                join=pool.join,
                connected=result["connected"],
                loss_median=statistics.median(losses),
                loss_max=max(losses),
                received_median=statistics.median(received),  # type: ignore[arg-type]
                sent_median=statistics.median(sent),  # type: ignore[arg-type]
                sequence_jumps=result["sequence_jumps"],
                longest_pause=result["longest_pause"],
                forwarded_pps=statistics.median(
                    (int(after[k]["packets"]) - int(before[k]["packets"])) / elapsed
                    for k in channels()  # type: ignore[call-overload]
                ),
                switches=sum(int(after[k]["switches"]) for k in channels()),  # type: ignore[call-overload]
                delays=len(heard),
                delay_median=statistics.median(heard) if heard else float("nan"),
                delay_p95=percentile(heard, 0.95),
                wrong_voice_frames=wrong_voices(result["ears"], handover[0]) if handover else -1,  # type: ignore[arg-type]
                floor_mode=floor_only.get("mode"),
            )
            print(json.dumps(figures), flush=True)
            time.sleep(3)
            floor = listen(pid, base, [floor_key(SESSION)], baseline, seconds, 0)
            figures.update(
                cpu_floor_viewers=floor.relay_cpu,
                per_floor_viewer=(floor.relay_cpu - figures["cpu_publishers"]) / baseline,  # type: ignore[operator]
                floor_loss_max=max(
                    (
                        100 * (s - r) / s
                        for r, s in zip(floor.result["received"], floor.result["sent"], strict=True)
                        if s
                    ),  # type: ignore[call-overload]
                    default=float("nan"),
                ),
            )
            publishers.send_signal(signal.SIGTERM)
    return figures


def verdicts(f: dict[str, object]) -> list[str]:
    loss = float(f["loss_max"])  # type: ignore[arg-type]
    p95 = float(f["delay_p95"])  # type: ignore[arg-type]
    per, base = float(f["per_listener"]), float(f["per_floor_viewer"])  # type: ignore[arg-type]
    return [
        f"- packets received per listener vs sent: worst {100 - loss:.2f}%, median {100 - float(f['loss_median']):.2f}% "  # type: ignore[arg-type]
        f"({'meets' if loss <= 1 else 'MISSES'} the goal of within 1%); {f['sequence_jumps']} sequence jumps, "
        f"longest pause {float(f['longest_pause']) * 1000:.0f} ms across {f['switches']} handovers",  # type: ignore[arg-type]
        f"- relay CPU per channel listener {per:.3f}% of a core; floor audio per viewer (baseline, same run) "
        f"{base:.3f}%: ratio {per / base if base > 0 else float('nan'):.2f}",
        f"- mouth-to-ear delay on loopback: median {float(f['delay_median']) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms over "  # type: ignore[arg-type]
        f"{f['delays']} bursts ({'meets' if p95 < 0.4 else 'MISSES'} the goal of 400 ms)",
        f"- stretches of the interpreter off air heard (60 ms or more): {f['wrong_voice_frames']}",
    ]


def write_results(command: str, f: dict[str, object], lines: list[str], loads: tuple[float, float]) -> None:
    row = (
        f"| {f['listeners']} | {f['connected']} | {float(f['cpu_empty']):.1f} | {float(f['cpu_publishers']):.1f} | "  # type: ignore[arg-type]
        f"{float(f['cpu_listeners']):.1f} | {float(f['per_listener']):.3f} | {f['baseline_viewers']} | "  # type: ignore[arg-type]
        f"{float(f['cpu_floor_viewers']):.1f} | {float(f['per_floor_viewer']):.3f} | {float(f['forwarded_pps']):.1f} | "  # type: ignore[arg-type]
        f"{float(f['received_median']):.0f}/{float(f['sent_median']):.0f} | {float(f['pool_cpu']):.0f} | "  # type: ignore[arg-type]
        f"{float(f['join']):.1f} |"  # type: ignore[arg-type]
    )
    section = "\n".join(
        [
            SECTION,
            "",
            f"Command: `{command}`  ",
            f"Run: {time.strftime('%Y-%m-%d')}, 2 cores shared with other work (load average {loads[0]:.1f} to "
            f"{loads[1]:.1f} during the run); one-second CPU samples, medians; {f['seconds']} s windows.  ",
            "Session: the floor (synthetic 640x360 30 fps VP8 and a tone) and 4 channels (ja, ko, zh-Hans, ar) of two "
            "interpreters each, all published over WHIP from one process; listeners over WHEP in another process "
            "(all but 4 count RTP packets without decoding; 4, one per channel, in a process of their own, decode "
            "and listen for the marker tones). Halfway through the window every channel hands over to its second interpreter.",
            "",
            "| listeners | connected | relay CPU % empty | with publishers | with listeners | CPU/listener % | "
            "floor audio viewers (baseline) | relay CPU % | CPU/viewer % | packets/s per channel | "
            "received/sent per listener (median) | pool CPU % | join s |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            row,
            "",
            *lines,
            "",
            "A channel forwards its on-air interpreter's Opus packets as they come (no decoding, no encoding), so a "
            "listener costs what a floor audio viewer costs past the floor's one decode and encode: packetising, "
            "SRTP and a send per packet. The delay is from the moment a burst's first 20 ms left the synthetic "
            "microphone to the moment the listener's decoder returned it (aiortc's receive jitter buffer holds a few "
            "packets; a browser adds its own playout delay of some tens of ms).",
            "",
        ]
    )
    write_section(SECTION, section)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    serving = commands.add_parser("serve")
    serving.add_argument("port", type=int)
    publishing = commands.add_parser("publish")
    publishing.add_argument("base")
    listening = commands.add_parser("listen")
    listening.add_argument("base")
    listening.add_argument("keys")
    listening.add_argument("count", type=int)
    listening.add_argument("--seconds", type=float, default=10.0)
    listening.add_argument("--decoding", type=int, default=0)
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--baseline", type=int, default=200, help="floor audio-only viewers for the baseline")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--write", action="store_true", help=f"write the figures into {RESULTS.name}")
    args = parser.parse_args()
    if args.command == "serve":
        serve(args.port)
        return
    restrict_host_addresses(["127.0.0.1"])
    if args.command == "publish":
        asyncio.run(run_publishers(args.base))
        return
    if args.command == "listen":
        asyncio.run(run_listeners(args.base, args.keys.split(","), args.count, args.seconds, args.decoding))
        return
    first_load = os.getloadavg()[0]
    figures = run(args.listeners, args.baseline, args.seconds)
    lines = verdicts(figures)
    print("\n".join(lines))
    if args.write:
        command = "python -m tests.bench.bench_channels " + " ".join(sys.argv[1:])
        loads = (min(first_load, os.getloadavg()[0]), max(first_load, os.getloadavg()[0]))
        write_results(command, figures, lines, loads)


if __name__ == "__main__":
    main()
