"""Rendered pages kept in process, keyed by everything they depend on, so a hit costs no rendering."""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from functools import cached_property

from starlette.applications import Starlette


@dataclass(frozen=True)
class CachedPage:
    """A page encoded once, gzipped once, with its response headers ready to send."""

    body: bytes
    gzipped: bytes
    etag: str

    @classmethod
    def from_html(cls, html: str) -> CachedPage:
        body = html.encode("utf-8")
        digest = hashlib.blake2b(body, digest_size=12).hexdigest()
        return cls(body=body, gzipped=gzip.compress(body, compresslevel=6, mtime=0), etag=f'W/"{digest}"')

    @property
    def size(self) -> int:
        return len(self.body) + len(self.gzipped)

    @cached_property
    def common_headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", b"text/html; charset=utf-8"),
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
    cache: PageCache | None = getattr(app.state, "page_cache", None)
    if cache is None:
        cache = PageCache()
        app.state.page_cache = cache
    return cache
