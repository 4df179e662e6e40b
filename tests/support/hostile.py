"""The whole app (pages, API, live rooms' HTTP side, the embedded relay) as a hostile client meets it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from server.agenda.models import Session
from server.events.models import Event
from tests.support.factories import Person


@dataclass
class Site:
    app: Any
    client: httpx.AsyncClient
    event: Event
    session: Session
    organiser: Person
    media_dir: Path

    def media_files(self) -> list[str]:
        return sorted(path.name for path in self.media_dir.iterdir()) if self.media_dir.exists() else []
