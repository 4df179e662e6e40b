"""The import contracts in pyproject.toml ([tool.importlinter], run by `make lint`) hold for the tree, and
break when the domain imports the web or socket layers, a table module imports a service, or two packages
import each other."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "Layers: transport and realtime above domain services above the foundation"
MODELS = "Models below services: a table module imports only the foundation"
DOMAIN = "The domain knows nothing of HTTP, sockets or WebRTC"
CYCLES = "No import cycles between sibling modules or packages"


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the Python sources and their contracts, to break on purpose."""
    skip = shutil.ignore_patterns("__pycache__", "node_modules", "static", "templates", "locale")
    for package in ("server", "realtime", "web"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def add_import(tree: Path, module: str, statement: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    source = path.read_text()
    future = "from __future__ import annotations\n"
    assert future in source
    path.write_text(source.replace(future, future + statement + "\n", 1))


def broken(output: str) -> set[str]:
    """The names of the contracts the summary calls broken."""
    return {line.partition(" BROKEN")[0] for line in output.splitlines() if " BROKEN" in line}


def test_contracts_hold_for_the_tree() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "contracts"),
    [
        # A live-room service reaching for an HTTP error page.
        ("server.live.questions", "import server.transport.errors", {LAYERS, DOMAIN, CYCLES}),
        # A registration service building a response itself.
        ("server.registration.services", "import starlette.responses", {DOMAIN}),
        # The domain importing the live rooms' socket layer.
        ("server.streams.keys", "import realtime.live.actions", {LAYERS, DOMAIN}),
        # Accounts importing registration, which imports accounts: the cycle the issue found.
        ("server.accounts.services", "import server.registration.models", {CYCLES}),
        # A table module importing a service of its own domain.
        ("server.live.models", "import server.live.chat", {MODELS, CYCLES}),
        # Seats reaching back into the registration services that use them.
        ("server.registration.seats", "import server.registration.services", {CYCLES}),
        # The request helpers naming the live server, which imports them.
        ("realtime.live.actions", "import realtime.live.server", {CYCLES}),
    ],
)
def test_contracts_break_on_a_forbidden_import(tree: Path, module: str, statement: str, contracts: set[str]) -> None:
    assert lint(tree).returncode == 0  # the copy holds before the change

    add_import(tree, module, statement)
    result = lint(tree)

    assert result.returncode == 1
    assert broken(result.stdout) == contracts, result.stdout
