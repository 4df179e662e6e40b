"""Jinja2 templates with gettext, autoescaping and the helpers every page uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
from babel.dates import get_timezone_name
from starlette.requests import Request
from starlette.responses import HTMLResponse

from server import formats, i18n, rules
from server.transport.icons import icon
from server.transport.notices import clear_taken, mark_answer, take_notice
from server.transport.urls import paths_of
from web import TEMPLATES_DIR


def _page_zone(context: jinja2.runtime.Context) -> formats.Zone:
    """The zone the page shows times in: the viewer's choice (``time_zone``, also <html data-time-zone>), else the
    zone the page names (the agenda's ``shown_zone``, others' ``zone``), else its event's."""
    for name in ("time_zone", "shown_zone", "zone"):
        zone = context.get(name)
        if zone:
            return zone
    event = context.get("event")
    return getattr(event, "timezone", None) or None


@jinja2.pass_context
def _format_date(context: jinja2.runtime.Context, value: dt.date, format: str = "full") -> str:
    return formats.date(value, _page_zone(context), width=format)


@jinja2.pass_context
def _format_time(context: jinja2.runtime.Context, value: dt.datetime, *, seconds: bool = False) -> str:
    return formats.time(value, _page_zone(context), seconds=seconds)


@jinja2.pass_context
def _format_datetime(
    context: jinja2.runtime.Context, value: dt.datetime, dates: str = formats.DATE, *, seconds: bool = False
) -> str:
    return formats.datetime(value, _page_zone(context), dates=dates, seconds=seconds)


def _format_number(value: int | float) -> str:
    return formats.number(value)


def _format_percent(value: float) -> str:
    return formats.percent(value)


def _zone_name(zone: Any) -> str:
    return get_timezone_name(zone, locale=i18n.current_locale())


def _translated(item: Any, field: str) -> Any:
    """A programme text in the reader's language, falling back to the event's default (server/i18n.py)."""
    if isinstance(item, jinja2.Undefined) or item is None:
        return item
    if isinstance(item, dict):
        return item.get(field, "")
    return i18n.localised(item, field)


@jinja2.pass_context
def _url_for(context: jinja2.runtime.Context, name: str, /, **params: Any) -> str:
    """The path of the route ``name``: every link, form action and script address in the templates."""
    return paths_of(context["request"].app.router).path(name, **params)


def build_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters.update(
        format_date=_format_date,
        format_time=_format_time,
        format_datetime=_format_datetime,
        format_number=_format_number,
        format_percent=_format_percent,
        zone_name=_zone_name,
        tr=_translated,
        language_name=formats.language_name,
    )
    # Templates ask the same rules as services and pages (server/rules.py).
    env.globals.update(
        languages=i18n.LANGUAGES,
        current_language=i18n.current_language,
        url_for=_url_for,
        can=rules.can,
        icon=icon,
    )
    return env


ENVIRONMENT = build_environment()


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A page for this request alone: it shows the notice a redirect left (server/transport/notices.py), once.
    Pages kept in the shared page cache use ``render_text`` and never carry one."""
    notice = take_notice(request)
    html = render_text(request, template, {"page_notice": notice, **context})
    response = HTMLResponse(html, status_code=status_code)
    clear_taken(request, response)
    mark_answer(request, response)
    return response


def render_text(request: Request, template: str, context: dict[str, Any]) -> str:
    return ENVIRONMENT.get_template(template).render({"request": request, **context})
