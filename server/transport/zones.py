"""The time zone a visitor reads times in: ``?tz=`` (which is remembered), else the remembered choice, else the
event's own. Remembered in a cookie for everyone, and on the account of a signed-in person so mails use it too."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from server.accounts.models import Account
from server.accounts.services import remember_time_zone
from server.app_services import services_of
from server.cookies import SESSION_COOKIE, ZONE_COOKIE
from server.events.models import Event
from server.time_zones import is_known_zone
from server.transport.agenda_view import parse_zone
from server.transport.auth import current_account
from server.transport.context import database

EVENT_TIME = "event"  # ?tz=event (or an empty ?tz=): back to the event's own time
ZONE_COOKIE_AGE = 365 * 24 * 3600


def remembered_zone(request: Request) -> str:
    """The zone remembered in the cookie; "" when there is none or it names no zone."""
    value = request.cookies.get(ZONE_COOKIE, "")
    return value if is_known_zone(value) else ""


def asked_zone(request: Request) -> str | None:
    """The zone the address asks for: None without ``tz``, "" for the event's own time."""
    if "tz" not in request.query_params:
        return None
    value = request.query_params["tz"].strip()
    return "" if value == EVENT_TIME else value


def zone_name(request: Request, event_zone: str, account: Account | None = None) -> str:
    """The zone a page shows times in, "" for the event's own; an unknown ``?tz=`` is a clear 400."""
    asked = asked_zone(request)
    if asked is not None:
        return parse_zone(asked, event_zone=event_zone)
    remembered = remembered_zone(request) or (account.time_zone if account is not None else "")
    return "" if remembered == event_zone else remembered


def shown_zone(request: Request, event: Event, account: Account | None = None) -> ZoneInfo:
    return ZoneInfo(zone_name(request, event.timezone, account) or event.timezone)


async def remember_asked_zone(request: Request, response: Response) -> None:
    """A ``?tz=`` that changes the choice: kept in the cookie, and on the account of a signed-in person."""
    asked = asked_zone(request)
    if asked is None or response.status_code >= 400 or (asked and not is_known_zone(asked)):
        return
    signed_in = bool(request.cookies.get(SESSION_COOKIE))
    if asked == remembered_zone(request) and not signed_in:
        return
    if asked != remembered_zone(request):
        set_zone_cookie(request, response, asked)
    if signed_in:
        async with database(request).session() as db:
            account = await current_account(request, db)
            if account is not None:
                await remember_time_zone(db, account=account, zone=asked)


def set_zone_cookie(request: Request, response: Response, zone: str) -> None:
    """Remembers ``zone`` in this browser; "" forgets the choice (each event's own time again)."""
    if zone:
        secure = services_of(request.app).settings.base_url.startswith("https://")
        response.set_cookie(
            ZONE_COOKIE, zone, max_age=ZONE_COOKIE_AGE, httponly=True, secure=secure, samesite="lax", path="/"
        )
    else:
        response.delete_cookie(ZONE_COOKIE, path="/")


def restore_zone(request: Request, response: Response, account: Account) -> None:
    """Signing in on a browser that remembers no zone brings the account's choice to it."""
    if account.time_zone and not remembered_zone(request) and is_known_zone(account.time_zone):
        set_zone_cookie(request, response, account.time_zone)
