"""Where tests leave what a person should look at afterwards (screenshots, Lighthouse reports): `tests/artefacts/`,
or the folder `PODIUM_TEST_ARTEFACTS` names (CI keeps it)."""

from __future__ import annotations

import os
from pathlib import Path

ARTEFACTS = Path(os.environ.get("PODIUM_TEST_ARTEFACTS", Path(__file__).resolve().parent.parent / "artefacts"))


def artefact_dir(kind: str) -> Path:
    folder = ARTEFACTS / kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder
