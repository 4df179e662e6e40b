"""Fault injection for tests: private Redis and PostgreSQL servers to kill, freeze and restart. Never the shared
services: each helper starts its own on a free port."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from tests.support.ports import free_port, wait_for_port
from tests.support.requirements import require


def eventually(check: Callable[[], bool], *, timeout: float = 20.0, what: str = "the condition") -> None:
    """Polls ``check`` until it holds; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout}s")
        time.sleep(0.05)


class PrivateRedis:
    """A redis-server of the test's own: kill -9 it, freeze it (SIGSTOP), thaw it, start it again."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        require("redis-server", binary is not None)
        self.binary = binary or ""
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port, self.process, "redis-server")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.kill()


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A running PrivateRedis for the block, stopped after it whatever state the test left it in."""
    redis = PrivateRedis()
    try:
        yield redis
    finally:
        redis.stop()


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own, in a temporary directory, run as the postgres user:
    kill -9 its postmaster (a crash) and start it again on the same port and data, or freeze and thaw it."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        require("PostgreSQL server binaries", bool(found) and os.geteuid() == 0 and shutil.which("runuser") is not None)
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="podium-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres(self.bin / "initdb", "-D", str(self.data), "--auth=trust", "-U", "postgres", "-E", "UTF8")
        self.start()

    def _as_postgres(self, *command: object) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, command)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l", self.dir / "log", "-w", "start")

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def crash(self) -> None:
        """kill -9 of the postmaster and its backends: what a power cut or the OOM killer does."""
        pid = self.postmaster_pid()
        for victim in [pid, *_children(pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(victim, signal.SIGKILL)
        eventually(lambda: not _alive(pid), timeout=10, what="the postmaster's death")

    def _signal_all(self, how: signal.Signals) -> None:
        pid = self.postmaster_pid()
        for process in [pid, *_children(pid)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process, how)

    def freeze(self) -> None:
        """SIGSTOP to the postmaster and its backends: connections stay open and nothing answers (a hung host)."""
        self._signal_all(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal_all(signal.SIGCONT)

    def stop(self) -> None:
        with contextlib.suppress(OSError):  # a frozen postmaster would not stop; a crashed one has no pid file
            self.thaw()
        with contextlib.suppress(subprocess.CalledProcessError):  # not running
            self._as_postgres(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def _children(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The command name (2nd field) is in parentheses and may hold spaces: the parent follows it.
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return children


def _alive(pid: int) -> bool:
    """Until reaped: PostgreSQL refuses to start while its old postmaster's pid exists, even as a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
