"""Forms that carry one small file (a speaker's photo, a session's material): the declared size is checked
before the body is read, then the CSRF token, as ``checked_form`` does for other forms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from server.errors import InvalidInput
from server.i18n import gettext as _
from server.text import UNSTORABLE, storable
from server.transport.auth import check_csrf

FORM_OVERHEAD = 64 * 1024  # the other fields and the multipart framing around the file


class UploadTooLarge(InvalidInput):
    status_code = 413


def as_typed(values: dict[str, Any]) -> dict[str, Any]:
    """A refused form's values to show again: what cannot be stored (a NUL byte) shown as the replacement
    character, so the page renders and the field's message says what was wrong."""
    return {key: UNSTORABLE.sub("\ufffd", value) if isinstance(value, str) else value for key, value in values.items()}


@dataclass(frozen=True, slots=True)
class UploadForm:
    fields: dict[str, str]
    filename: str | None  # None when no file was chosen
    data: bytes | None


async def upload_form(request: Request, *, file_field: str, limit: int) -> UploadForm:
    """The posted form and its one file, at most ``limit`` bytes; refuses before reading a larger body."""
    declared = request.headers.get("content-length", "")
    too_large = _("This file is larger than %(size)d MB.") % {"size": max(1, limit // (1024 * 1024))}
    if not declared.isdigit() or len(declared) > 12:
        raise InvalidInput(_("Please send the file with the form on this page."))
    if int(declared) > limit + FORM_OVERHEAD:
        raise UploadTooLarge(too_large)
    form = await request.form(max_files=1, max_fields=30)
    try:
        check_csrf(request, form)
        fields: dict[str, str] = {}
        upload: Any = None
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key == file_field:
                    upload = value
            elif storable(key):
                fields[key] = value
        filename, data = None, None
        if upload is not None and upload.filename:
            data = await upload.read(limit + 1)
            if len(data) > limit:
                raise UploadTooLarge(too_large)
            filename = upload.filename
        return UploadForm(fields=fields, filename=filename, data=data)
    finally:
        await form.close()
