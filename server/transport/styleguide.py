"""The living style guide: the design tokens and every component in its states, drawn by the same templates,
macros and stylesheet as the pages themselves (web/templates/styleguide.html), for the people who run events."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.actors import Actor
from server.i18n import gettext as _
from server.organising.events import staff_events
from server.organising.rules import can_open_style_guide
from server.permissions import require
from server.transport.auth import current_account
from server.transport.context import database, private, sign_in_redirect
from server.transport.rendering import render

COLOUR_TOKENS = (
    "ink", "muted", "paper", "wash", "raised", "line", "accent", "accent-ink", "accent-wash", "notice",
    "notice-line", "good", "good-wash", "bad", "bad-wash", "warn", "warn-wash", "focus",
)  # fmt: skip
TYPE_SCALE = ("xs", "sm", "md", "lg", "xl", "2xl")
SPACES = (1, 2, 3, 4, 5, 6)
BADGE_STATES = ("full", "waitlist", "clash", "live", "soon", "ended", "cancelled", "picked", "seats", "draft")
NOTICE_KINDS = ("info", "success", "error", "warning")


def badge_labels() -> dict[str, str]:
    return {
        "full": _("Full"),
        "waitlist": _("Waitlist"),
        "clash": _("Clashes"),
        "live": _("Live"),
        "soon": _("Soon"),
        "ended": _("Ended"),
        "cancelled": _("Cancelled"),
        "picked": _("In my agenda"),
        "seats": _("12 seats left"),
        "draft": _("Draft"),
    }


async def style_guide(request: Request) -> Response:
    async with database(request).session() as db:
        account = await current_account(request, db)
        if account is None:
            return sign_in_redirect(request)
        helping = await staff_events(db, account=account)
    require(Actor(account=account), can_open_style_guide, helping)
    context = {
        "colour_tokens": COLOUR_TOKENS,
        "type_scale": TYPE_SCALE,
        "spaces": SPACES,
        "badge_states": BADGE_STATES,
        "badge_labels": badge_labels(),
        "notice_kinds": NOTICE_KINDS,
        "staff_events": helping,
    }
    return private(render(request, "styleguide.html", context))


routes: list[BaseRoute] = [Route("/styleguide", style_guide, methods=["GET"], name="styleguide")]
