"""The production topology on one machine, started from the files in deploy/: the commands of the systemd units,
the settings of podium.env.example, the nginx site rendered with this machine's ports and a self-signed certificate."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support import ports
from tests.support.deploy_config import DEPLOY, ROOT

# Which app process a browser reaches: test-only, on top of the shipped site (which balances round robin).
PIN_MAP = """
map $cookie_podium_test_backend $podium_test_app {{
    "1" podium_app_1;
    "2" podium_app_2;
    default podium_app;
}}
upstream podium_app_1 {{ server 127.0.0.1:{first}; }}
upstream podium_app_2 {{ server 127.0.0.1:{second}; }}
"""


def pin_by_cookie(site: str, first: int, second: int) -> str:
    """Sends a browser with cookie ``podium_test_backend=1`` (or 2) to that app process, for HTTP and Socket.IO."""
    assert site.count("proxy_pass http://podium_app;") == 2
    return PIN_MAP.format(first=first, second=second) + site.replace(
        "proxy_pass http://podium_app;", "proxy_pass http://$podium_test_app;"
    )


def podium_command() -> list[str]:
    installed = Path(sys.executable).parent / "podium"
    return [str(installed)] if installed.exists() else [sys.executable, "-m", "server.cli"]


def unit_command(unit: str, port: int) -> list[str]:
    """The unit's ExecStart, with this machine's podium and the instance's port for %i."""
    for line in (DEPLOY / "systemd" / unit).read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            words = shlex.split(line.removeprefix("ExecStart=").replace("%i", str(port)))
            assert words[0] == "/opt/podium/venv/bin/podium", words
            return podium_command() + words[1:]
    raise AssertionError(f"{unit} has no ExecStart")


def example_environment() -> dict[str, str]:
    values = {}
    for line in (DEPLOY / "podium.env.example").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            values[name] = value[1:-1] if value[:1] == value[-1:] == '"' else value  # as systemd reads it
    return values


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    """Like ``tests.support.ports.wait_for_port``, with the end of the process's log in the error."""
    try:
        ports.wait_for_port(port, process, repr(process.args), timeout)
    except RuntimeError as failure:
        raise RuntimeError(f"{failure}:\n{tail(log)}") from None


def tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


@dataclass
class Processes:
    directory: Path
    running: list[tuple[subprocess.Popen[bytes], Path]] = field(default_factory=list)

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = self.directory / f"{name}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        self.running.append((process, log))
        return process

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop(self) -> None:
        for process, _log in reversed(self.running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process, _log in self.running:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def run_podium(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*podium_command(), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )


def process_environment(settings: dict[str, str]) -> dict[str, str]:
    kept = {name: value for name, value in os.environ.items() if not name.startswith(("PODIUM_", "FORWARDED_"))}
    return {**kept, **settings}


def wait_ready(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} never became ready")


def nginx_available() -> bool:
    return shutil.which("nginx") is not None
