"""What an HLS rendition costs the relay, and what serving it costs nginx.

1. Rendition: two relay processes get the same streams in the same run, one writing HLS (decode VP8 and Opus once,
   encode H.264 640x360 30 fps ``veryfast``/``zerolatency`` and AAC, mux 2 s MPEG-TS segments), one not; the
   difference of their CPU, per stream, is one HLS rendition's cost (the same encode a restream uses).
2. Serving: the shipped nginx site serves one session's HLS folder (as the relay wrote it) to N simulated players,
   each asking for the playlist every second and every new segment once, as hls.js does; nginx's CPU per player,
   beside its CPU with no players in the same run.

Run: .venv/bin/python -m tests.bench.bench_hls [--streams 1] [--seconds 20] [--players 200] [--write]
CPU is % of one core, the median of one-second samples (all threads of the process).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from pathlib import Path

import av

from tests.bench.bench_recording import SECRET, run_publishers
from tests.bench.bench_relay import TICKS, cpu_seconds
from tests.bench.results import stop_processes, wait_for_line, write_section
from tests.bench.serving import ROOT
from tests.support.ports import free_port, wait_for_port

SECTION = "## HLS"
FIRST_KEY = 101  # bench_recording's publishers publish keys from 101 on
PLAYERS_PER_PROCESS = 25  # simulated players per process: more, and a loaded machine's Python falls behind


def serve_relay(port: int, media_dir: str, hls: bool) -> None:
    import uvicorn  # noqa: PLC0415

    from realtime.media.app import create_relay_app  # noqa: PLC0415
    from realtime.media.config import RelaySettings  # noqa: PLC0415
    from realtime.media.policy import signed_policy  # noqa: PLC0415
    from server.streams.tokens import PublishTokens  # noqa: PLC0415

    settings = RelaySettings(
        secret_key=SECRET, host_addresses=("127.0.0.1",), connect_timeout=60, media_dir=Path(media_dir), hls=hls
    )
    app = create_relay_app(settings, policy=signed_policy(SECRET, PublishTokens(SECRET)))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bench.bench_hls", *args], cwd=ROOT, text=True, stdout=subprocess.PIPE
    )


def sample_cpu(pids: dict[str, list[int]], seconds: float) -> dict[str, float]:
    """Median CPU % of a core of each named group of processes over ``seconds`` one-second samples."""
    samples: dict[str, list[float]] = {name: [] for name in pids}

    def total(name: str) -> float:
        return sum(cpu_seconds(pid) for pid in pids[name])

    last = {name: total(name) for name in pids}
    last_at = time.monotonic()
    for _ in range(round(seconds)):
        time.sleep(1.0)
        now, at = {name: total(name) for name in pids}, time.monotonic()
        for name in pids:
            samples[name].append(100 * (now[name] - last[name]) / (at - last_at))
        last, last_at = now, at
    return {name: statistics.median(values) for name, values in samples.items()}


def measure_rendition(streams: int, seconds: float, keep: Path) -> dict[str, float]:
    """Both relays' CPU; leaves the HLS relay's last folder (a live session's files) in ``keep``."""
    from server.streams.hls import hls_folder  # noqa: PLC0415

    media = Path(tempfile.mkdtemp(prefix="podium-hls-bench-"))
    relays: dict[str, tuple[subprocess.Popen[str], int]] = {}
    publishers: list[subprocess.Popen[str]] = []
    try:
        for name in ("hls", "plain"):
            port = free_port()
            process = start("relay", str(port), str(media / name), "1" if name == "hls" else "0")
            wait_for_port(port, process, f"{name} relay")  # type: ignore[arg-type]
            relays[name] = (process, port)
        for _, port in relays.values():
            publishers.append(start("publish", f"http://127.0.0.1:{port}", str(streams)))
        for publisher in publishers:
            wait_for_line(publisher)
        time.sleep(8)  # connected, the first segments written
        cpu = sample_cpu({name: [process.pid] for name, (process, _) in relays.items()}, seconds)
        folder = hls_folder(media / "hls" / "hls", SECRET, str(FIRST_KEY))
        playlist = (folder / "index.m3u8").read_text()
        durations = [float(value) for value in re.findall(r"#EXTINF:([0-9.]+),", playlist)]
        segments = sorted(folder.glob("*.ts"), key=lambda path: path.stat().st_mtime)
        sizes = [path.stat().st_size for path in segments[-len(durations) :]]
        with av.open(str(segments[-2])) as container:  # a complete segment: the pictures the encoder kept up with
            frames = sum(1 for packet in container.demux(video=0) if packet.size)
        shutil.copytree(folder, keep / folder.name)
        return {
            "streams": streams,
            "hls": cpu["hls"],
            "plain": cpu["plain"],
            "per_stream": (cpu["hls"] - cpu["plain"]) / streams,
            "segment_seconds": statistics.median(durations),
            "fps": frames / statistics.median(durations),
            "kbit_s": sum(sizes) * 8 / 1000 / sum(durations),
            "load": os.getloadavg()[0],
        }
    finally:
        stop_processes(publishers)
        stop_processes(process for process, _ in relays.values())
        shutil.rmtree(media, ignore_errors=True)


async def players(base: str, playlist_path: str, count: int, seconds: float) -> dict[str, float]:
    """``count`` players polling the playlist each second and fetching each segment it lists once."""
    import httpx  # noqa: PLC0415

    fetched = {"playlists": 0, "segments": 0, "bytes": 0, "errors": 0}
    folder = playlist_path.rsplit("/", 1)[0]
    deadline = time.monotonic() + seconds

    async def player(client: httpx.AsyncClient, offset: float) -> None:
        await asyncio.sleep(offset)
        seen: set[str] = set()
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                response = await client.get(playlist_path)
                fetched["playlists"] += 1
                for name in [line for line in response.text.splitlines() if line.endswith(".ts")][-2:]:
                    if name not in seen:
                        seen.add(name)
                        segment = await client.get(f"{folder}/{name}")
                        fetched["segments"] += 1
                        fetched["bytes"] += len(segment.content)
            except httpx.HTTPError:
                fetched["errors"] += 1
            await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - started)))

    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=base, verify=False, timeout=10, limits=limits) as client:
        await asyncio.gather(*(player(client, index / count) for index in range(count)))
    return {key: float(value) for key, value in fetched.items()}


def run_players(base: str, playlist_path: str, count: int, seconds: float) -> None:
    result = asyncio.run(players(base, playlist_path, count, seconds))
    print("PLAYED", " ".join(f"{key}={value:g}" for key, value in result.items()), flush=True)


def nginx_pids(pid_file: Path) -> list[int]:
    master = int(pid_file.read_text().strip())
    children = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, check=False).stdout
    return [master, *(int(pid) for pid in children.split())]


def measure_serving(hls_dir: Path, count: int, seconds: float) -> dict[str, float]:
    """nginx's CPU serving a session's HLS folder (copied from the rendition run and kept fresh by renaming its
    segments as new ones each two seconds, so players fetch segments as they would live) to ``count`` players."""
    from server.streams.hls import playlist_url  # noqa: PLC0415
    from tests.support.deploy_config import render_nginx, render_site, self_signed_certificate  # noqa: PLC0415

    directory = Path(tempfile.mkdtemp(prefix="podium-hls-nginx-"))
    http_port, https_port = free_port(), free_port()
    site = render_site(
        directory,
        certificate=self_signed_certificate(directory),
        http_port=http_port,
        https_port=https_port,
        hls_dir=hls_dir,
    )
    nginx = subprocess.Popen(
        ["nginx", "-c", str(render_nginx(directory, site)), "-p", str(directory)], stderr=subprocess.DEVNULL
    )
    folder = next(hls_dir.iterdir())
    names = sorted(path.name for path in folder.glob("*.ts"))
    template = [(folder / name).read_bytes() for name in names]
    stop_refresh = False

    def refresh() -> None:  # a live playlist: a new segment every two seconds
        number = 0
        while not stop_refresh:
            number += 1
            name = f"0000beef-{number}.ts"
            (folder / name).write_bytes(template[number % len(template)])
            listed = [f"0000beef-{n}.ts" for n in range(max(1, number - 5), number + 1)]
            text = f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:{listed[0][9:-3]}\n"
            text += "".join(f"#EXTINF:2.000000,\n{entry}\n" for entry in listed)
            (folder / "index.m3u8.tmp").write_text(text)
            (folder / "index.m3u8.tmp").rename(folder / "index.m3u8")
            time.sleep(2.0)

    import threading  # noqa: PLC0415

    refresher = threading.Thread(target=refresh, daemon=True)
    try:
        for _ in range(100):
            if (directory / "nginx.pid").exists():
                break
            time.sleep(0.1)
        time.sleep(0.5)
        refresher.start()
        time.sleep(2.5)
        pids = nginx_pids(directory / "nginx.pid")

        def nginx_cpu() -> float:
            return sum(cpu_seconds(pid) for pid in pids)

        # nginx's CPU is counted over the whole period (a sample of one second would round it to 0 or 1%).
        before, at = nginx_cpu(), time.monotonic()
        time.sleep(5)
        idle = 100 * (nginx_cpu() - before) / (time.monotonic() - at)
        path = playlist_url(SECRET, str(FIRST_KEY))
        groups = [min(PLAYERS_PER_PROCESS, count - first) for first in range(0, count, PLAYERS_PER_PROCESS)]
        player_processes = [
            start("players", f"https://127.0.0.1:{https_port}", path, str(group), str(seconds + 4)) for group in groups
        ]
        time.sleep(3)  # all players started
        before, at = nginx_cpu(), time.monotonic()
        busy = sample_cpu({"players": [process.pid for process in player_processes]}, seconds + 2)
        nginx_seconds = nginx_cpu() - before
        busy["nginx"] = 100 * nginx_seconds / (time.monotonic() - at)
        played: dict[str, float] = {}
        for process in player_processes:
            assert process.stdout is not None
            for key, _, value in (part.partition("=") for part in process.stdout.readline().split()[1:]):
                played[key] = played.get(key, 0.0) + float(value)
            stop_processes([process])
        requests = played.get("playlists", 0.0) + played.get("segments", 0.0)
        # Per request, from nginx's whole CPU time over the run; a total under one clock tick counts as one tick.
        per_request = max(nginx_seconds, 1 / TICKS) / max(requests, 1.0)
        return {
            "players": count,
            "nginx_idle": idle,
            "nginx_busy": busy["nginx"],
            "nginx_seconds": nginx_seconds,
            "requests": requests,
            "per_request_us": per_request * 1e6,
            # A player asks for the playlist each second and a segment each two seconds: 1.5 requests a second.
            "per_player": 100 * per_request * 1.5,
            "client_cpu": busy["players"],
            "errors": played.get("errors", 0.0),
            "playlists_fetched": played.get("playlists", 0.0),
            "segments_fetched": played.get("segments", 0.0),
            "mbit_s": played.get("bytes", 0.0) * 8 / 1e6 / (seconds + 4),
        }
    finally:
        stop_refresh = True
        nginx.send_signal(signal.SIGTERM)
        nginx.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


class _Sink:
    """Stands in for a Rendition around its encoder: counts what it would hand its subscribers."""

    key = "bench"
    video_parameters = None
    audio_parameters = None
    frames_encoded = 0
    frames_dropped = 0
    packets = 0

    def deliver(self, item: object) -> None:
        self.packets += 1

    def request_source_keyframe(self) -> None:
        pass


def opus_packets(seconds: float) -> list[av.Packet]:
    """A tone encoded to Opus as the relay's audio pipeline sends it (20 ms packets, pts in 1/48000)."""
    import math  # noqa: PLC0415

    encoder = av.CodecContext.create("libopus", "w")
    assert isinstance(encoder, av.AudioCodecContext)
    encoder.sample_rate, encoder.layout, encoder.format, encoder.bit_rate = 48_000, "stereo", "s16", 64_000
    packets: list[av.Packet] = []
    for index in range(int(seconds * 50)):
        samples = array("h")
        for n in range(960):
            value = int(8000 * math.sin(2 * math.pi * 440 * (index * 960 + n) / 48_000))
            samples.extend((value, value))
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate, frame.pts = 48_000, index * 960
        packets += encoder.encode(frame)
    return packets


def measure_encode(seconds: float = 10.0) -> dict[str, float]:
    """The rendition's own work, in this process and on its CPU clock (so a loaded machine does not skew it): decode
    ``seconds`` of the synthetic camera's VP8 (30 fps) and a tone's Opus, encode H.264 and AAC, as its thread does."""
    from realtime.media.rendition import _Encoder  # noqa: PLC0415
    from tests.bench.bench_recording import vp8_packets  # noqa: PLC0415

    video = vp8_packets(int(seconds * 30))
    audio = opus_packets(seconds)
    sink = _Sink()
    encoder = _Encoder(sink)  # type: ignore[arg-type]
    started = time.thread_time()
    next_audio = 0
    for packet in video:
        while next_audio < len(audio) and (audio[next_audio].pts or 0) * 90_000 // 48_000 <= (packet.pts or 0):
            encoder.audio(bytes(audio[next_audio]), audio[next_audio].pts or 0)
            next_audio += 1
        encoder.video(bytes(packet), packet.pts or 0, bool(packet.is_keyframe), behind=False)
    used = time.thread_time() - started
    return {"encode_cpu": 100 * used / seconds, "encoded_frames": sink.frames_encoded, "encode_seconds": seconds}


def report(result: dict[str, float], command: str) -> str:
    # What a deployment plans with: the relay's own growth when it kept the full frame rate (the encode plus feeding
    # it frames and packets); on a machine too loaded for that, the encode alone, a floor.
    planning = result["per_stream"] if result["fps"] >= 29 else result["encode_cpu"]
    per_core_streams = 100 / planning if planning > 0 else float("inf")
    per_core_players = 100 / result["per_player"] if result["per_player"] > 0 else float("inf")
    return "\n".join(
        [
            SECTION,
            "",
            f"Command: `{command}`  ",
            f"Run: {time.strftime('%Y-%m-%d')}, 2 cores shared with other work (load average {result['load']:.1f}); "
            "one-second CPU samples, medians, % of one core (nginx: its total over the period).  ",
            f"Streams: {int(result['streams'])} per relay, synthetic 640x360 30 fps VP8 (500 kbit/s) and an Opus "
            "tone, each relay fed by a publisher process of its own; no WebRTC viewers.",
            "",
            "| streams | relay CPU % with HLS | relay CPU % without | HLS rendition CPU % per session | "
            "segment s (median) | frames/s in a segment | HLS kbit/s |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {int(result['streams'])} | {result['hls']:.1f} | {result['plain']:.1f} | "
            f"{result['per_stream']:.1f} | {result['segment_seconds']:.2f} | {result['fps']:.1f} | "
            f"{result['kbit_s']:.0f} |",
            "",
            f"- the rendition's own work on its CPU clock (in one process, so the machine's load does not skew it): "
            f"decoding {result['encode_seconds']:g} s of the synthetic camera's VP8 at 30 fps and a tone's Opus and "
            f"encoding H.264 640x360 veryfast/zerolatency and AAC ({int(result['encoded_frames'])} frames) takes "
            f"**{result['encode_cpu']:.1f}% of a core** in real time",
            f"- between the two relay processes (wall-clock samples, the publishers on the same loaded machine): "
            f"{result['per_stream']:.1f}% of a core per session, with {result['fps']:.1f} frames/s in the "
            "segments; below 30, the machine's load starved the publishers or the rendition's thread (which then "
            "keeps its keyframes and skips the frames between), and this figure is a floor",
            "",
            "| HLS players | requests served | nginx CPU s | nginx CPU % idle / serving | µs per request | "
            "players' own CPU % | segments fetched | Mbit/s out | errors |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {int(result['players'])} | {int(result['requests'])} | {result['nginx_seconds']:.2f} | "
            f"{result['nginx_idle']:.1f} / {result['nginx_busy']:.1f} | {result['per_request_us']:.0f} | "
            f"{result['client_cpu']:.1f} | {int(result['segments_fetched'])} | {result['mbit_s']:.1f} | "
            f"{int(result['errors'])} |",
            "",
            f"- nginx serves an HLS player (a playlist a second, a 2 s segment every 2 s, over TLS with keep-alive) "
            f"for at most {result['per_player']:.4f}% of a core: at least {per_core_players:,.0f} HLS players per "
            "nginx core before any cache (the simulated players, Python on the same loaded machine, fell behind "
            "their schedule; the cost is per request). Bandwidth, not CPU, bounds HLS: each player takes the "
            "rendition's bitrate. Behind a CDN or nginx `proxy_cache` the origin serves each segment once per cache.",
            "",
            f"Planning (HLS): one rendition per session with HLS (or a restream) on the relay that ingests it, about "
            f"{planning:.0f}% of a core at 30 fps (about {per_core_streams:.0f} sessions with HLS or restreams per "
            "relay core, on top of their WebRTC viewers); HLS viewers cost the relays nothing, and nginx about "
            f"{result['per_request_us']:.0f} µs of CPU per request (1.5 requests a second per player), so HLS crowds "
            "are bounded by bandwidth (the rendition's bitrate per player) and by the cache in front, not by CPU.",
            "",
        ]
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "relay":
        serve_relay(int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1")
        return
    if len(sys.argv) > 1 and sys.argv[1] == "publish":
        asyncio.run(run_publishers(sys.argv[2], int(sys.argv[3])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "players":
        run_players(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--write", action="store_true", help=f"replace the {SECTION!r} section of RESULTS.md")
    args = parser.parse_args()
    keep = Path(tempfile.mkdtemp(prefix="podium-hls-served-"))
    try:
        result = measure_encode() | measure_rendition(args.streams, args.seconds, keep)
        result |= measure_serving(keep, args.players, args.seconds)
    finally:
        shutil.rmtree(keep, ignore_errors=True)
    command = "python -m tests.bench.bench_hls " + " ".join(
        part
        for part in (
            f"--streams {args.streams}",
            f"--seconds {args.seconds:g}",
            f"--players {args.players}",
            "--write" if args.write else "",
        )
        if part
    )
    text = report(result, command)
    print(text)
    if args.write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
