"""iCalendar exports: one session to add to a calendar, or the whole event as a feed to subscribe to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

import icalendar

from server.agenda.services import Programme, SessionView
from server.events.models import Event
from server.i18n import localised
from server.links import Links

PRODID = "-//Podium//Agenda//EN"
# The VTIMEZONE covers a year either side of the event: compact, yet right for every session.
ZONE_MARGIN = dt.timedelta(days=366)


def session_uid(view: SessionView) -> str:
    """Stable across exports and edits, so a re-imported calendar updates instead of duplicating."""
    return f"{view.session.guid}@podium"


def location(view: SessionView, event: Event) -> str:
    return ", ".join(part for part in (localised(view.room, "name"), localised(event, "venue")) if part)


def description(view: SessionView) -> str:
    parts = [localised(view.session, "abstract").strip()]
    if view.speakers:
        names = [
            f"{person.name} ({person.organisation})" if person.organisation else person.name for person in view.speakers
        ]
        parts.append("Speakers: " + ", ".join(names))
    return "\n\n".join(part for part in parts if part)


def alarm(view: SessionView, minutes: int) -> icalendar.Alarm:
    """A calendar application's own reminder, ``minutes`` before the session starts."""
    component = icalendar.Alarm()
    component.add("action", "DISPLAY")
    component.add("description", localised(view.session, "title"))
    component.add("trigger", dt.timedelta(minutes=-minutes))
    return component


def session_component(
    view: SessionView, programme: Programme, *, links: Links, stamp: dt.datetime, alarm_minutes: int | None = None
) -> icalendar.Event:
    event = programme.event
    component = icalendar.Event()
    component.add("uid", session_uid(view))
    component.add("dtstamp", stamp)
    # Wall times in the event's zone with a TZID, so clients show the right hour wherever they are.
    component.add("dtstart", view.local_start(programme.zone))
    component.add("dtend", view.local_end(programme.zone))
    component.add("summary", localised(view.session, "title"))
    text = description(view)
    if text:
        component.add("description", text)
    place = location(view, event)
    if place:
        component.add("location", place)
    component.add("url", links.session_page(event.slug, view.session.code))
    if view.track is not None:
        component.add("categories", [localised(view.track, "name")])
    # A release that changes the session raises its SEQUENCE, so subscribed calendars take the new values;
    # a cancelled session stays in the feed as CANCELLED, which removes it from them.
    component.add("sequence", view.session.sequence)
    if view.session.modified_at is not None:
        component.add("last-modified", view.session.modified_at.astimezone(dt.UTC).replace(microsecond=0))
    component.add("status", "CANCELLED" if view.session.cancelled else "CONFIRMED")
    if alarm_minutes is not None and not view.session.cancelled:
        component.add_component(alarm(view, alarm_minutes))
    return component


def build_calendar(
    programme: Programme,
    views: Iterable[SessionView],
    *,
    links: Links,
    feed: bool,
    now: dt.datetime | None = None,
    name: str = "",
    alarms: Mapping[int, int] | None = None,
) -> icalendar.Calendar:
    event = programme.event
    stamp = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(microsecond=0)
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if feed:
        calendar.add("x-wr-calname", name or localised(event, "title"))
        calendar.add("x-wr-timezone", event.timezone)
        if event.description:
            calendar.add("x-wr-caldesc", localised(event, "description"))
    for view in views:
        minutes = alarms.get(view.session.id or 0) if alarms is not None else None
        calendar.add_component(session_component(view, programme, links=links, stamp=stamp, alarm_minutes=minutes))
    calendar.add_missing_timezones(first_date=event.start_date - ZONE_MARGIN, last_date=event.end_date + ZONE_MARGIN)
    return calendar


def session_calendar(programme: Programme, view: SessionView, *, links: Links, now: dt.datetime | None = None) -> bytes:
    """One session, as a file to open in a calendar application."""
    return build_calendar(programme, [view], links=links, feed=False, now=now).to_ical()


def event_calendar(programme: Programme, *, links: Links, now: dt.datetime | None = None) -> bytes:
    """Every session of the event, as a feed a calendar application can subscribe to."""
    return build_calendar(programme, programme.sessions, links=links, feed=True, now=now).to_ical()


def agenda_calendar(
    programme: Programme,
    views: Iterable[SessionView],
    *,
    name: str,
    links: Links,
    now: dt.datetime | None = None,
    alarms: Mapping[int, int] | None = None,
) -> bytes:
    """A delegate's own picks, as a feed their calendar application subscribes to; ``alarms`` gives each session's
    alarm, in minutes before its start (their reminder's, else the default: server/reminders)."""
    return build_calendar(programme, views, links=links, feed=True, now=now, name=name, alarms=alarms).to_ical()
