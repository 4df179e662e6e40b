"""Rendered pages kept in process, keyed by everything they depend on, so a hit costs no rendering."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from functools import cached_property

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from server import i18n
from server.agenda.services import Programme, load_programme
from server.app_services import services_of
from server.transport import event_stamps
from server.transport.context import event_of
from server.transport.zones import remember_asked_zone, remembered_zone, zone_name

HTML = "text/html; charset=utf-8"
INDENTATION = re.compile(r"\n\s+")


@dataclass(frozen=True)
class CachedPage:
    """A page (or JSON document) encoded once, gzipped once, with its response headers ready to send."""

    body: bytes
    gzipped: bytes
    etag: str
    media_type: str = HTML

    @classmethod
    def from_text(cls, text: str, *, media_type: str = HTML) -> CachedPage:
        body = text.encode("utf-8")
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        gzipped = gzip.compress(body, compresslevel=6, mtime=0)
        return cls(body=body, gzipped=gzipped, etag=f'W/"{digest}"', media_type=media_type)

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    @cached_property
    def common_headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", self.media_type.encode("latin-1")),
            (b"etag", self.etag.encode("latin-1")),
            # The language may come from the cookie or Accept-Language rather than the address.
            (b"vary", b"Accept-Encoding, Accept-Language, Cookie"),
            (b"cache-control", b"no-cache"),
        ]

    @cached_property
    def plain_headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"content-length", str(len(self.body)).encode()), *self.common_headers]

    @cached_property
    def gzip_headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-length", str(len(self.gzipped)).encode()),
            (b"content-encoding", b"gzip"),
            *self.common_headers,
        ]


class PageCache:
    """A small LRU of rendered pages, bounded in entries and in bytes.

    Keys carry the event's version, so an agenda change made by any process makes old entries
    unreachable; they age out of the LRU instead of being invalidated one by one.
    """

    def __init__(self, max_entries: int = 512, max_bytes: int = 32 * 1024 * 1024) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, CachedPage] = OrderedDict()
        self._size = 0
        self._rendering: dict[Hashable, asyncio.Future[CachedPage]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> CachedPage | None:
        page = self._entries.get(key)
        if page is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return page

    async def render_once(self, key: Hashable, render: Callable[[], Awaitable[CachedPage]]) -> CachedPage:
        """``render()``, shared by every request that asks for ``key`` while it runs: 1,000 visitors arriving
        together on a page nobody has rendered yet cost one rendering, not 1,000 (each loading the programme)."""
        running = self._rendering.get(key)
        if running is None:
            running = self._rendering[key] = asyncio.ensure_future(render())
            running.add_done_callback(lambda _done: self._rendering.pop(key, None))
        return await asyncio.shield(running)  # one visitor leaving does not stop the others' page

    def put(self, key: Hashable, page: CachedPage) -> None:
        if page.size > self.max_bytes:
            return
        previous = self._entries.pop(key, None)
        if previous is not None:
            self._size -= previous.size
        self._entries[key] = page
        self._size += page.size
        while len(self._entries) > self.max_entries or self._size > self.max_bytes:
            _key, evicted = self._entries.popitem(last=False)
            self._size -= evicted.size

    def clear(self) -> None:
        self._entries.clear()
        self._size = 0


def for_app(app: Starlette) -> PageCache:
    """One cache per application, so two apps on two databases never share pages."""
    services = services_of(app)
    if services.page_cache is None:
        services.page_cache = PageCache()
    return services.page_cache


async def serve_cached(
    request: Request,
    kind: str,
    build: Callable[[Programme, str], str],
    *,
    media_type: str = HTML,
    moment: Hashable = None,
    stamp: event_stamps.EventStamp | None = None,
) -> Response:
    """A page of one event, from the cache when the event's version has not moved since it was rendered.

    A hit reads only the event's stamp (one statement) and is keyed by the address as asked: a page is
    cached only once its query has been validated, and what it shows follows from the address, the
    language, the remembered time zone, the event's version and ``moment`` (the minute, for a page that marks
    what runs now) alone. A caller that read the event's stamp already (to compute ``moment``) passes it as
    ``stamp``, so a hit still costs one statement. A miss loads the programme (a fixed number of statements,
    however many sessions there are), validates the query and renders.
    """
    scope = request.scope
    asked = (kind, scope["path"], scope["query_string"], i18n.current_language().code, remembered_zone(request), moment)
    cache = for_app(request.app)
    if stamp is None:
        stamp = await event_stamps.for_app(request.app).get(request.path_params["slug"])

    async def rendered() -> CachedPage:
        async with services_of(request.app).database.session() as db:
            event = await event_of(db, request)
            programme = await load_programme(db, event=event)
        tz = zone_name(request, event.timezone)
        text = build(programme, tz)
        page = CachedPage.from_text(compact(text) if media_type == HTML else text, media_type=media_type)
        if event.published:
            cache.put((event.id, event.version, asked), page)
        return page

    if stamp is not None and stamp.published:  # a draft's pages are its staff's alone: never cached
        key = (stamp.id, stamp.version, asked)
        cached = cache.get(key)
        if cached is None:  # a crowd asking at once shares one rendering
            cached = await cache.render_once(key, rendered)
        return await remembering(request, page_response(request, cached), media_type)
    return await remembering(request, page_response(request, await rendered()), media_type)


async def remembering(request: Request, response: Response, media_type: str) -> Response:
    """A page's ``?tz=`` becomes the visitor's remembered choice (a JSON document's does not)."""
    if media_type == HTML:
        await remember_asked_zone(request, response)
    return response


def page_response(request: Request, page: CachedPage) -> Response:
    if_none_match = request.headers.get("if-none-match")
    if if_none_match and page.etag in (tag.strip() for tag in if_none_match.split(",")):
        response = Response(status_code=304)
        response.raw_headers = [header for header in page.common_headers if header[0] != b"content-type"]
    elif "gzip" in request.headers.get("accept-encoding", ""):
        response = Response(page.gzipped)
        response.raw_headers = list(page.gzip_headers)  # a copy: middleware appends to it
    else:
        response = Response(page.body)
        response.raw_headers = list(page.plain_headers)
    return response


def compact(html: str) -> str:
    """Drops template indentation: a third less to send on every hit, and the page renders the same."""
    return INDENTATION.sub("\n", html)
