"""Jinja2 templates with gettext, autoescaping and the helpers every page uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2
from babel.dates import format_date, format_datetime, format_time, get_timezone_name
from starlette.requests import Request
from starlette.responses import HTMLResponse

from server import i18n, rules
from server.transport.notices import clear_taken, mark_answer, take_notice
from server.transport.urls import paths_of
from web import TEMPLATES_DIR


def _format_date(value: dt.date, format: str = "full") -> str:
    return format_date(value, format=format, locale=i18n.current_locale())


def _format_time(value: dt.datetime, format: str = "HH:mm") -> str:
    return format_time(value, format=format, locale=i18n.current_locale())


def _format_datetime(value: dt.datetime, format: str = "medium") -> str:
    return format_datetime(value, format=format, locale=i18n.current_locale())


def _zone_name(zone: Any) -> str:
    return get_timezone_name(zone, locale=i18n.current_locale())


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
        zone_name=_zone_name,
    )
    # Templates ask the same rules as services and pages (server/rules.py).
    env.globals.update(
        languages=i18n.LANGUAGES, current_language=i18n.current_language, url_for=_url_for, can=rules.can
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
