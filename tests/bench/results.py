"""What every benchmark shares: its section of RESULTS.md, replaced in place, and its helper processes' readiness."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterable
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(heading: str, text: str) -> None:
    """Replace the section that starts with ``heading`` (up to the next ``## ``) by ``text``, or append it."""
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n\n"
    if heading in current:
        start = current.index(heading)
        following = current.find("\n## ", start + len(heading))
        current = current[:start] + text + (current[following + 1 :] if following != -1 else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(current, encoding="utf-8")


def wait_for_line(process: subprocess.Popen[str], marker: str = "PUBLISHING") -> None:
    """Block until the helper process prints a line starting with ``marker``; stop the benchmark if it ended."""
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            raise SystemExit("a publisher process ended early")
        if line.startswith(marker):
            return


def stop_processes(processes: Iterable[subprocess.Popen[str]]) -> None:
    """SIGTERM to all (each ends its streams cleanly, in parallel), then wait; kill one that takes over 20 s."""
    processes = list(processes)
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
