"""Static files without dotfiles: ``node_modules/.package-lock.json`` and its kind list what is installed and
are for nobody; the app serves them for ``make run`` as nginx does in production (deploy/nginx)."""

from __future__ import annotations

import os
from pathlib import PurePath

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope


class PublicFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        if any(part.startswith(".") for part in PurePath(path.replace("/", os.sep)).parts):
            raise HTTPException(status_code=404)
        return await super().get_response(path, scope)
