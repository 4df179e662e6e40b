"""coturn started from the shipped deploy/coturn/turnserver.conf, on this machine's loopback and free ports."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.deploy_config import DEPLOY, Certificate
from tests.support.ports import free_port, port_open

CONF = DEPLOY / "coturn" / "turnserver.conf"
READY = "turn server id=0 created"


def render_turnserver(
    directory: Path, certificate: Certificate, *, port: int, tls_port: int, secret: str, loopback_peers: bool = False
) -> Path:
    """The shipped configuration with this machine's address, ports, certificate and secret; nothing else changed
    unless ``loopback_peers``: then the relays may sit on 127.0.0.1, as a test's do (production denies it)."""
    conf = CONF.read_text(encoding="utf-8")
    for name, value in (
        ("cert", str(certificate.cert)),
        ("pkey", str(certificate.key)),
        ("listening-ip", "127.0.0.1"),
        ("relay-ip", "127.0.0.1"),
        ("listening-port", str(port)),
        ("tls-listening-port", str(tls_port)),
        ("static-auth-secret", secret),
        ("log-file", str(directory / "turn.log")),
    ):
        conf, count = re.subn(rf"^{name}=.*$", f"{name}={value}", conf, flags=re.MULTILINE)
        assert count == 1, f"{CONF} has {count} {name} lines"
    conf = re.sub(r"^external-ip=.*\n", "", conf, flags=re.MULTILINE)
    if loopback_peers:
        conf += "\nallow-loopback-peers\nallowed-peer-ip=127.0.0.1\n"
    path = directory / "turnserver.conf"
    path.write_text(conf)
    return path


@dataclass
class TurnServer:
    """``turnserver`` running, writing what it does to files in its directory."""

    process: subprocess.Popen[bytes]
    directory: Path
    port: int
    tls_port: int

    @property
    def log(self) -> str:
        """What coturn printed while starting, then its log (sessions, allocations, refusals)."""
        files = [self.directory / "turn.out", self.directory / "turn.log"]
        return "".join(path.read_text(errors="replace") for path in files if path.exists())

    def wait_for(self, text: str, timeout: float = 15) -> bool:
        """Whether ``text`` appears in the log within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if time.monotonic() > deadline or self.process.poll() is not None:
                return False
            time.sleep(0.05)
        return True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_turnserver(
    directory: Path, certificate: Certificate, *, secret: str = "turn-test-secret", loopback_peers: bool = False
) -> TurnServer:
    """coturn with the shipped settings, plain TURN and TURN over TLS on free ports; returns once it serves (or
    once it gave up: then ``log`` says why)."""
    port, tls_port = free_port(), free_port()
    conf = render_turnserver(
        directory, certificate, port=port, tls_port=tls_port, secret=secret, loopback_peers=loopback_peers
    )
    command = ["turnserver", "-c", str(conf), "--pidfile", str(directory / "turn.pid"), "--relay-threads", "1"]
    command += ["--userdb", str(directory / "turndb"), "--verbose"]
    with (directory / "turn.out").open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    server = TurnServer(process, directory, port, tls_port)
    if server.wait_for(READY):
        deadline = time.monotonic() + 5
        while not port_open("127.0.0.1", tls_port) and time.monotonic() < deadline:
            time.sleep(0.05)
    return server
