"""Where a server's time goes during one measured step: py-spy samples the uvicorn process (every thread, idle
samples left out) and the samples are summed per function, by self time and by time including callees.

Used by ``tests.bench.bench_registration --profile FOLDER``; py-spy comes with the ``test`` extra.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# aiosqlite's worker thread waiting for its next statement polls a queue, which py-spy counts as busy.
IDLE = "_connection_worker_thread ("


@contextmanager
def sampled(pid: int, output: Path | None) -> Iterator[None]:
    """Samples process ``pid`` while the block runs, into ``output`` (py-spy's raw collapsed stacks);
    does nothing when ``output`` is None."""
    if output is None:
        yield
        return
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    command = [py_spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--output", str(output)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def frame_name(frame: str) -> str:
    """``handler (server/x.py:12)`` → ``handler (server/x.py)``: lines of one function count together."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0]})" if where else name


def summary(path: Path, *, top: int = 14, marks: tuple[str, ...] = ()) -> str:
    """The functions with the most samples by self time, Podium's by time including callees; ``marks``
    (substrings of frames) gets each its share of samples, e.g. ("asyncpg", "sqlalchemy/orm") to tell the bounds
    apart."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    marked: Counter[str] = Counter()
    total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame_name(frame) for frame in stack.split(";")]
        if frames[-1].startswith(IDLE):
            continue
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
        for mark in marks:
            if mark in stack:
                marked[mark] += count
    if not total:
        return f"{path.name}: no samples"
    lines = [f"{path.name}: {total} samples (busy threads only, 250 a second)", "  self time:"]
    lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    lines.append("  Podium's functions, including callees:")
    ours = [(name, n) for name, n in inclusive.most_common() if "server/" in name][:top]
    lines += [f"    {100 * n / total:5.1f}%  {name}" for name, n in ours]
    if marks:
        lines.append("  stacks containing:")
        lines += [f"    {100 * marked[mark] / total:5.1f}%  {mark}" for mark in marks]
    return "\n".join(lines)
