"""The `podium` command run as an operator runs it: a real process, with only the environment given."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def podium(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    kept = {name: value for name, value in os.environ.items() if not name.startswith("PODIUM_")}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        capture_output=True,
        text=True,
        env={**kept, **env},
        cwd=ROOT,
        timeout=timeout,
        check=False,
    )
