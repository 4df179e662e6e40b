"""Tests share helpers through tests/support only: a test module imported by another would run its tests twice or
not at all, and a fixture imported by name from a conftest shadows the one pytest would have chosen."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

TESTS = Path(__file__).resolve().parents[1]


def is_test_or_conftest(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "conftest" or last.startswith("test_")


def forbidden_imports(root: Path) -> list[str]:
    """Every ``path:line module`` in ``root`` that imports a conftest or a test module."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
                modules = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            else:
                continue
            found += [
                f"{path.relative_to(root.parent)}:{node.lineno} {module}"
                for module in modules
                if module.startswith("tests.") and is_test_or_conftest(module)
            ]
    return found


def test_no_test_module_imports_a_conftest_or_another_test_module() -> None:
    assert forbidden_imports(TESTS) == []
