"""`podium serve` in processes of its own, on free ports: the real thing to kill -9, or several sharing Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.ports import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


class AppProcess:
    """`podium serve` in its own process, on a free port: the real thing to kill -9."""

    def __init__(self, database_url: str, *, redis_url: str | None = None) -> None:
        self.database_url = database_url
        self.redis_url = redis_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        env = {**os.environ, "PODIUM_ENV": "test", "PODIUM_DATABASE_URL": self.database_url}
        env.pop("PODIUM_REDIS_URL", None)
        if self.redis_url is not None:
            env["PODIUM_REDIS_URL"] = self.redis_url
        command = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        try:
            wait_for_port(self.port, self.process, "podium serve")
        except BaseException:
            self.stop()
            raise

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
