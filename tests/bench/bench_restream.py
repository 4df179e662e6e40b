"""A restream's cost per session: two relay processes get the same stream in the same run; one pushes it to a local
nginx RTMP ingest (the H.264/AAC rendition encoded once, muxed as FLV by a push process), the other only forwards
it. The difference of their CPU (the push process's included) is what one restream costs.

Run: .venv/bin/python -m tests.bench.bench_restream [--seconds 20] [--write]
The stream is the synthetic camera (640x360, 30 fps VP8 at 500 kbit/s) and a tone (Opus), published over WHIP by a
publisher process of its own per relay; no viewers. CPU: each relay process with its children, median of one-second
samples, % of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.bench_relay import cpu_seconds
from tests.bench.results import stop_processes, wait_for_line, write_section
from tests.bench.serving import ROOT
from tests.support.ports import free_port, wait_for_port

SECTION = "## Restream"
SECRET = "restream-benchmark-secret"
STREAM_KEY = "bench-restream-key-0001"


def serve_relay(port: int, database_url: str) -> None:
    import uvicorn  # noqa: PLC0415

    from realtime.media.app import create_relay_app  # noqa: PLC0415
    from realtime.media.config import RelaySettings  # noqa: PLC0415
    from realtime.media.policy import signed_policy  # noqa: PLC0415
    from server.db import Database  # noqa: PLC0415
    from server.streams.tokens import PublishTokens  # noqa: PLC0415

    settings = RelaySettings(secret_key=SECRET, host_addresses=("127.0.0.1",), connect_timeout=60)
    database = Database(database_url) if database_url != "-" else None
    app = create_relay_app(settings, policy=signed_policy(SECRET, PublishTokens(SECRET)), database=database)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def prepare_database(url: str, ingest: str) -> int:
    """A migrated database with one session and its restream target; the session's id (its stream key)."""
    from server.db import Database  # noqa: PLC0415
    from server.migrations import upgrade  # noqa: PLC0415
    from server.restreams.keys import encrypt_key  # noqa: PLC0415
    from server.restreams.models import RestreamTarget  # noqa: PLC0415
    from tests.support.factories import other_event  # noqa: PLC0415

    await upgrade(url)
    database = Database(url)
    async with database.session() as db:
        event, session = await other_event(db)
        db.add(
            RestreamTarget(
                event_id=event.id or 0,
                session_id=session.id or 0,
                label="Bench",
                url=ingest,
                key_encrypted=encrypt_key(SECRET, STREAM_KEY),
            )
        )
        await db.commit()
    await database.dispose()
    return session.id or 0


async def run_publisher(base: str, key: str) -> None:
    import httpx  # noqa: PLC0415

    from server.streams.tokens import PublishTokens  # noqa: PLC0415
    from tests.bench.relay_pool import steady_publisher_bitrate  # noqa: PLC0415
    from tests.media.clients import publish  # noqa: PLC0415
    from tests.media.synthetic import PatternTrack, ToneTrack  # noqa: PLC0415

    steady_publisher_bitrate()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        peer = await publish(client, f"/whip/{key}", PublishTokens(SECRET).token(key), PatternTrack(), ToneTrack(440))
        print("PUBLISHING", flush=True)
        await stop.wait()
        await peer.close()


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.bench.bench_restream", *args], cwd=ROOT, text=True, stdout=subprocess.PIPE
    )


def family(pid: int) -> list[int]:
    """The process and its descendants (the relay's push processes)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue += [int(child) for child in task.read_text().split()]
            except OSError:
                continue
    return found


def family_cpu(pid: int) -> float:
    total = 0.0
    for member in family(pid):
        try:
            total += cpu_seconds(member)
        except OSError:
            continue
    return total


def measure(seconds: float) -> dict[str, float]:
    from tests.support.rtmp_server import RtmpServer  # noqa: PLC0415

    folder = Path(tempfile.mkdtemp(prefix="podium-restream-bench-"))
    ingest = RtmpServer(folder / "nginx", keys={STREAM_KEY})
    ingest.start()
    url = f"sqlite+aiosqlite:///{folder / 'podium.db'}"
    session_id = asyncio.run(prepare_database(url, ingest.url))
    relays: dict[str, tuple[subprocess.Popen[str], int]] = {}
    publishers: list[subprocess.Popen[str]] = []
    try:
        for name, database_url in (("restreamed", url), ("plain", "-")):
            port = free_port()
            process = start("relay", str(port), database_url)
            wait_for_port(port, process, f"{name} relay")  # type: ignore[arg-type]
            relays[name] = (process, port)
        for _, port in relays.values():
            publishers.append(start("publish", f"http://127.0.0.1:{port}", str(session_id)))
        for publisher in publishers:
            wait_for_line(publisher)
        time.sleep(10)  # connected, the push live
        pids = {name: process.pid for name, (process, _) in relays.items()}
        pushes = len(family(pids["restreamed"])) - 1
        samples: dict[str, list[float]] = {name: [] for name in [*pids, "push"]}

        def read() -> dict[str, float]:
            found = {name: family_cpu(pid) for name, pid in pids.items()}
            found["push"] = found["restreamed"] - cpu_seconds(pids["restreamed"])  # its children alone
            return found

        last, last_at = read(), time.monotonic()
        for _ in range(round(seconds)):
            time.sleep(1.0)
            now, at = read(), time.monotonic()
            for name in samples:
                samples[name].append(100 * (now[name] - last[name]) / (at - last_at))
            last, last_at = now, at
        restreamed = statistics.median(samples["restreamed"])
        plain = statistics.median(samples["plain"])
        return {
            "restreamed": restreamed,
            "plain": plain,
            "per_session": restreamed - plain,
            "push": statistics.median(samples["push"]),
            "pushes": pushes,
            "refused": len(ingest.refused),
            "load": os.getloadavg()[0],
        }
    finally:
        stop_processes(publishers)
        stop_processes(process for process, _ in relays.values())
        ingest.close()
        shutil.rmtree(folder, ignore_errors=True)


def report(result: dict[str, float], command: str) -> str:
    return "\n".join(
        [
            SECTION,
            "",
            f"Command: `{command}`  ",
            f"Run: {time.strftime('%Y-%m-%d')}, 2 cores shared with other work (load average {result['load']:.1f}); "
            "one-second CPU samples, medians, each relay process with its children (the push process).  ",
            "Stream: synthetic 640x360 30 fps VP8 (500 kbit/s) and an Opus tone, one per relay, each relay fed by a "
            "publisher process of its own; no viewers. One relay pushes it to a local nginx RTMP ingest "
            "(libnginx-mod-rtmp), the other only forwards it.",
            "",
            "| relay CPU % restreaming (with its push process) | of which the push process | "
            "relay CPU % not restreaming | one restream, CPU % of a core |",
            "|---:|---:|---:|---:|",
            f"| {result['restreamed']:.1f} | {result['push']:.1f} | {result['plain']:.1f} | "
            f"{result['per_session']:.1f} |",
            "",
            f"- one restream costs {result['per_session']:.1f}% of a core per session: decoding VP8 and Opus once, "
            "encoding H.264 (libx264 veryfast, zerolatency, 640x360, 30 fps) and AAC once (the rendition, shared "
            "with HLS when both run), and muxing FLV in the push process. A second target of the same session adds "
            f"only another push process (muxing and sending, no encoding: {result['push']:.1f}% here).",
            "",
        ]
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "relay":
        serve_relay(int(sys.argv[2]), sys.argv[3])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "publish":
        asyncio.run(run_publisher(sys.argv[2], sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--write", action="store_true", help="write the section of tests/bench/RESULTS.md")
    args = parser.parse_args()
    result = measure(args.seconds)
    command = ".venv/bin/python -m tests.bench.bench_restream" + (
        f" --seconds {args.seconds:g}" if args.seconds != 20 else ""
    )
    text = report(result, command + (" --write" if args.write else ""))
    print(text)
    print(f"push processes: {int(result['pushes'])}, keys refused: {int(result['refused'])}")
    if args.write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
