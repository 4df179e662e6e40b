"""Helpers for benchmarks: a throwaway database with the demo event, uvicorn in its own process, wrk."""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tests.support.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "server" / "demo" / "asian-dialogue-2021.json"


def demo_database(folder: Path) -> dict[str, str]:
    """Environment for a fresh SQLite database holding the demo event."""
    env = {**os.environ, "PODIUM_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}", "PODIUM_ENV": "development"}
    for args in (["db", "upgrade"], ["import-event", str(DEMO)]):
        subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, check=True, capture_output=True)
    return env


@contextmanager
def uvicorn_server(
    app: str, env: dict[str, str], *, factory: bool = False, output: IO[str] | None = None
) -> Iterator[tuple[str, int]]:
    """Serve ``app`` with one uvicorn worker, the way `podium serve` does; yield its base URL and pid.

    ``output`` takes the server's log (standard output and error together); by default it is inherited.
    """
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log", "--ws-per-message-deflate", "false"]
    command += ["--factory"] if factory else []
    stderr = subprocess.STDOUT if output is not None else None
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=stderr)
    try:
        wait_for_port(port, process, app)
        yield f"http://127.0.0.1:{port}", process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


@contextmanager
def uvicorn_process(app: str, env: dict[str, str], *, factory: bool = False) -> Iterator[str]:
    """Like ``uvicorn_server``, yielding only the base URL."""
    with uvicorn_server(app, env, factory=factory) as (url, _pid):
        yield url


def wrk_requests_per_second(url: str, *, seconds: int = 5, connections: int = 32) -> float:
    """Requests per second that one wrk thread gets from ``url``; non-2xx answers fail the benchmark."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for benchmarks: apt-get install wrk")
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    )
    if "Non-2xx" in result.stdout:
        raise SystemExit(f"{url} answered errors under load:\n{result.stdout}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", result.stdout)
    if match is None:
        raise SystemExit(f"cannot read wrk output:\n{result.stdout}")
    return float(match.group(1))


def median(values: list[float]) -> float:
    return statistics.median(values)


def scratch_folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="podium-bench-")
