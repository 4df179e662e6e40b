"""Reading HTML responses: the parsed page, elements by class, their normalised text, the error shown."""

from __future__ import annotations

import httpx
import lxml.html


def page(response: httpx.Response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.text)


def with_class(response: httpx.Response, name: str) -> list[lxml.html.HtmlElement]:
    return list(page(response).xpath(f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]"))


def text_of(response: httpx.Response, class_name: str) -> str:
    """The whitespace-normalised text of the first element with the class."""
    found = with_class(response, class_name)
    assert found, f"no element of class {class_name!r} in:\n{response.text}"
    return " ".join(found[0].text_content().split())


def error_message(response: httpx.Response) -> str:
    found = with_class(response, "error-message") or with_class(response, "message-error")
    return " ".join(found[0].text_content().split()) if found else ""
