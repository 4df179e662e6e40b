"""Services and binaries a test needs: skipped on a bare machine, a failure when CI=true."""

from __future__ import annotations

import os

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def require(service: str, available: bool) -> None:
    """Skip on a bare machine; in CI a missing service is a failure, never a skip."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{service} is required when CI=true but is not reachable")
    pytest.skip(f"{service} is not available on this machine")
