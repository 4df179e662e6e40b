"""The programme editor as an organiser's browser uses it: the session form's current values read from the page,
posted back with changes."""

from __future__ import annotations

import httpx

from tests.support.html import page
from tests.support.http import csrf

EDITOR = "/{slug}/organiser/programme"


def editor(slug: str, path: str = "") -> str:
    return EDITOR.format(slug=slug) + path


async def session_form(client: httpx.AsyncClient, slug: str, code: str) -> dict[str, object]:
    """The edit form of ``code`` as the page fills it in."""
    response = await client.get(editor(slug, f"/sessions/{code}"))
    assert response.status_code == 200, response.text
    form = page(response).xpath("//form[contains(@class, 'session-editor')]")[0]
    values: dict[str, object] = {}
    for control in form.xpath(".//input|.//select|.//textarea"):
        name = control.get("name")
        if name in (None, "csrf_token"):
            continue
        if control.tag == "select":
            chosen = control.xpath("./option[@selected]/@value") or control.xpath("./option[1]/@value")
            value = chosen[0] if chosen else ""
        elif control.tag == "textarea":
            value = control.text or ""
        else:
            value = control.get("value", "")
        if name == "speakers":
            values.setdefault("speakers", [])
            if value:
                values["speakers"].append(value)  # type: ignore[union-attr]
        else:
            values[name] = value
    return values


async def send(client: httpx.AsyncClient, path: str, data: dict[str, object]) -> httpx.Response:
    """A form post with the browser's CSRF token; list values post as repeated fields."""
    return await client.post(path, data={"csrf_token": await csrf(client), **data})  # type: ignore[dict-item]
