"""Prometheus metrics at ``/metrics``, in the text exposition format.

Three sources:

- counters this process keeps, bumped through the hook functions below (:func:`question_asked`,
  :func:`votes_cast`, :func:`registration_created`) and by the request middleware (:func:`observe_request`);
- the database, counted at scrape time: registrations, questions, votes and chat messages per event. Every app
  process reports the same totals; aggregate them with ``max``, not ``sum``;
- the process's own live state, read at scrape time: Socket.IO clients per live room from ``Services.live``,
  and the relay's viewers and bitrate from ``Services.stream_statuses`` (a callable returning stream statuses,
  set when the relay runs in this process).

Scrape each app and relay process on its own port: only loopback clients, or a client with ``PODIUM_METRICS_TOKEN``
as its bearer token, read it (and nginx keeps ``/metrics`` from the public as well).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import func
from sqlmodel import col, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from server.agenda.models import Session
from server.app_services import services_of
from server.db import Database
from server.events.models import Event
from server.live.models import ChatMessage, Question, QuestionVote
from server.registration.models import Registration

SCRAPE_TIMEOUT = 5.0
logger = logging.getLogger(__name__)

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

HTTP_REQUESTS = Counter(
    "podium_http_requests", "HTTP requests this process answered.", ["method", "status"], registry=REGISTRY
)
HTTP_DURATION = Histogram(
    "podium_http_request_duration_seconds",
    "Time to answer an HTTP request in this process.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
QUESTIONS_ASKED = Counter("podium_questions_asked", "Questions asked through this process.", registry=REGISTRY)
VOTES_CAST = Counter("podium_question_votes_cast", "Question votes cast through this process.", registry=REGISTRY)
REGISTRATIONS_CREATED = Counter(
    "podium_registrations_created", "Registrations made through this process.", ["attendance"], registry=REGISTRY
)


# Hooks for the live rooms, the relay and the registration desk.


def observe_request(method: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method=method, status=str(status)).inc()
    HTTP_DURATION.observe(seconds)


def question_asked() -> None:
    QUESTIONS_ASKED.inc()


def votes_cast(count: int = 1) -> None:
    VOTES_CAST.inc(count)


def registration_created(attendance: str) -> None:
    REGISTRATIONS_CREATED.labels(attendance=attendance).inc()


# Scrape-time sources.


class LiveConnection(Protocol):
    @property
    def rooms(self) -> Mapping[int, Any]: ...


class LiveRooms(Protocol):
    """What ``Services.live`` (realtime.live's server) offers: its Socket.IO connections and the rooms each joined."""

    @property
    def connections(self) -> Mapping[str, LiveConnection]: ...


class StreamStatus(Protocol):
    """What the relay's stream statuses offer."""

    @property
    def session_key(self) -> str: ...
    @property
    def live(self) -> bool: ...
    @property
    def viewers(self) -> int: ...
    @property
    def bitrate(self) -> int: ...


def live_families(live: LiveRooms) -> list[Metric]:
    connections = GaugeMetricFamily("podium_live_connections", "Socket.IO clients connected to this process.")
    clients = GaugeMetricFamily(
        "podium_live_room_clients", "Socket.IO clients of this process in each live room.", labels=["session"]
    )
    rooms: Tally[int] = Tally()
    members = list(live.connections.values())
    for connection in members:
        rooms.update(connection.rooms.keys())
    connections.add_metric([], len(members))
    for session_id, count in sorted(rooms.items()):
        clients.add_metric([str(session_id)], count)
    return [connections, clients]


def relay_families(statuses: Iterable[StreamStatus]) -> list[Metric]:
    viewers = GaugeMetricFamily("podium_relay_viewers", "Viewers of each stream on this relay.", labels=["session"])
    bitrate = GaugeMetricFamily(
        "podium_relay_bitrate_bits_per_second",
        "Bits per second sent to each viewer of a stream on this relay.",
        labels=["session"],
    )
    live = GaugeMetricFamily("podium_relay_stream_live", "1 while a stream receives media.", labels=["session"])
    total = GaugeMetricFamily("podium_relay_viewers_total", "Viewers of every stream on this relay.")
    count = 0
    for status in statuses:
        viewers.add_metric([status.session_key], status.viewers)
        bitrate.add_metric([status.session_key], status.bitrate)
        live.add_metric([status.session_key], 1 if status.live else 0)
        count += status.viewers
    total.add_metric([], count)
    return [viewers, bitrate, live, total]


async def database_families(database: Database) -> list[Metric]:
    up = GaugeMetricFamily("podium_database_up", "1 when this scrape could count rows in the database.")
    registrations = GaugeMetricFamily(
        "podium_registrations",
        "Registrations in the database.",
        labels=["event", "status", "attendance"],
    )
    questions = GaugeMetricFamily("podium_questions", "Questions in the database.", labels=["event", "status"])
    votes = GaugeMetricFamily("podium_question_votes", "Question votes in the database.", labels=["event"])
    chat = GaugeMetricFamily("podium_chat_messages", "Chat messages in the database.", labels=["event"])
    try:
        async with asyncio.timeout(SCRAPE_TIMEOUT), database.session() as db:
            for slug, status, attendance, count in await db.exec(
                select(Event.slug, Registration.status, Registration.attendance, func.count())
                .join(Event, col(Event.id) == Registration.event_id)
                .group_by(Event.slug, Registration.status, Registration.attendance)
            ):
                registrations.add_metric([slug, status, attendance], count)
            for slug, status, count in await db.exec(
                select(Event.slug, Question.status, func.count())
                .join(Event, col(Event.id) == Question.event_id)
                .group_by(Event.slug, Question.status)
            ):
                questions.add_metric([slug, status], count)
            for slug, count in await db.exec(
                select(Event.slug, func.count())
                .select_from(QuestionVote)
                .join(Session, col(Session.id) == QuestionVote.session_id)
                .join(Event, col(Event.id) == Session.event_id)
                .group_by(Event.slug)
            ):
                votes.add_metric([slug], count)
            for slug, count in await db.exec(
                select(Event.slug, func.count())
                .select_from(ChatMessage)
                .join(Event, col(Event.id) == ChatMessage.event_id)
                .group_by(Event.slug)
            ):
                chat.add_metric([slug], count)
    except Exception:
        logger.warning("metrics: the database could not be counted", exc_info=True)
        up.add_metric([], 0)
        return [up]
    up.add_metric([], 1)
    return [up, registrations, questions, votes, chat]


class _Families:
    """Gathered families, in the shape ``generate_latest`` reads a registry."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


async def exposition(
    *,
    database: Database | None = None,
    live: LiveRooms | None = None,
    stream_statuses: Callable[[], Iterable[StreamStatus]] | None = None,
) -> bytes:
    families: list[Metric] = []
    if database is not None:
        families += await database_families(database)
    if live is not None:
        families += live_families(live)
    if stream_statuses is not None:
        families += relay_families(stream_statuses())
    return generate_latest(REGISTRY) + generate_latest(_Families(families))


def may_read(request: Request) -> bool:
    """A client on this host (Prometheus next to the processes), or one showing ``PODIUM_METRICS_TOKEN``. Behind
    nginx the client is the visitor (uvicorn reads X-Forwarded-For from the proxy), never the loopback proxy."""
    token = services_of(request.app).settings.metrics_token
    sent = request.headers.get("authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    try:
        return ipaddress.ip_address(request.client.host if request.client else "").is_loopback
    except ValueError:
        return False


async def metrics_endpoint(request: Request) -> Response:
    """Each source is read when the app's services hold it (the live server and the relay only when they run in
    this process). Anyone else gets the 404 of an address that does not exist."""
    if not may_read(request):
        raise HTTPException(404)
    services = services_of(request.app)
    body = await exposition(database=services.database, live=services.live, stream_statuses=services.stream_statuses)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})
