"""Load generator for bench_registration, run in its own process (asyncio + aiohttp); prints one JSON line.

    flow   CLIENTS signed-out visitors register for SECONDS, each registration the whole way: GET the
           form (CSRF cookie), POST it, read the confirmation link from the outbox table, POST it.
    loop   CLIENTS clients GET one PATH for SECONDS (the baseline endpoints).
    burst  one request per entry of a JSON file (or COUNT GETs of PATH), all released at once after the
           connections are open; reports wall time and latencies.

aiohttp rather than httpx: against the same bare endpoint, on this machine, an httpx client spent about
10 ms of CPU per request and topped out near 300 requests/s, aiohttp near 1,400 (wrk: 4,500), and a
benchmark must measure the server, not its client.

Every request carries ``X-Forwarded-For``: the generator plays a reverse proxy on loopback, which uvicorn
trusts (FORWARDED_ALLOW_IPS), so each registration comes from its own address and the per-IP limit on
sign-in links stays on at its real value.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import re
import resource
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
from sqlalchemy import text

from server.db import Database

LINK = re.compile(r"/signin/([A-Za-z0-9_-]+)")
OUTBOX = text("SELECT body FROM outboxmail WHERE recipient = :email ORDER BY id DESC LIMIT 1")
FORM = {
    "name": "Bench Delegate",
    "country": "ID",
    "organisation": "Benchmark Institute",
    "job_title": "Conservator",
    "attendance": "onsite",
    "language": "en",
    "accessibility_needs": "",
    "listed": "yes",
}


def forwarded_for(number: int) -> dict[str, str]:
    """A distinct private address per registration."""
    return {"x-forwarded-for": f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"}


@dataclass
class Tally:
    completed: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)

    def report(self, seconds: float, **extra: Any) -> dict[str, Any]:
        ordered = sorted(self.latencies)

        def quantile(q: float) -> float:
            return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0

        return {
            "completed": self.completed,
            "seconds": seconds,
            "per_second": self.completed / seconds if seconds else 0.0,
            "p50_ms": quantile(0.5),
            "p99_ms": quantile(0.99),
            "errors": dict(self.errors),
            **extra,
        }


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    cookies: dict[str, str]


class Browser:
    """One visitor: its own connection and cookies (kept by hand; aiohttp's jar ignores IP hosts)."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, *, headers: dict[str, str], form: Any = None) -> Answer:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        sent = {**headers, "cookie": cookie} if cookie else headers
        async with self.http.request(method, path, data=form, headers=sent, allow_redirects=False) as response:
            await response.read()
            for header in response.headers.getall("set-cookie", []):
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return Answer(
                response.status, {name.lower(): value for name, value in response.headers.items()}, self.cookies
            )


def session(base: str, connections: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    timeout = aiohttp.ClientTimeout(total=180)
    return aiohttp.ClientSession(base, connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar())


def expect(tally: Tally, answer: Answer, status: int, step: str) -> bool:
    if answer.status == status:
        return True
    tally.errors[f"{step}: {answer.status}"] += 1
    return False


async def confirmation_path(database: Database, email: str) -> str | None:
    """The link mailed to ``email``, read from the outbox the way a person reads their inbox."""
    for _attempt in range(100):
        async with database.engine.connect() as connection:
            body = (await connection.execute(OUTBOX, {"email": email})).scalar_one_or_none()
        match = LINK.search(body or "")
        if match is not None:
            return f"/signin/{match.group(1)}"
        await asyncio.sleep(0.02)
    return None


async def register_once(
    browser: Browser, database: Database, tally: Tally, *, slug: str, email: str, number: int
) -> None:
    browser.cookies.clear()  # a new visitor: no session, no CSRF cookie yet
    headers = forwarded_for(number)
    started = time.perf_counter()
    form_page = await browser.request("GET", f"/{slug}/register", headers=headers)
    if not expect(tally, form_page, 200, "GET register"):
        return
    csrf = {"csrf_token": browser.cookies["podium_csrf"]}
    sent = await browser.request("POST", f"/{slug}/register", headers=headers, form={**FORM, **csrf, "email": email})
    if not expect(tally, sent, 303, "POST register"):
        return
    path = await confirmation_path(database, email)
    if path is None:
        tally.errors["no confirmation mail"] += 1
        return
    confirmed = await browser.request("POST", path, headers=headers, form=csrf)
    if not expect(tally, confirmed, 303, "POST signin"):
        return
    if confirmed.headers.get("location") != f"/{slug}/registration" or "podium_session" not in browser.cookies:
        tally.errors["not signed in after confirming"] += 1
        return
    tally.latencies.append(time.perf_counter() - started)
    tally.completed += 1


async def run_for(seconds: float, clients: int, work: Callable[[int], Awaitable[None]]) -> float:
    """Runs ``work(client_number)`` in a loop on each client until the time is up."""
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        while time.perf_counter() < deadline:
            await work(number)

    started = time.perf_counter()
    await asyncio.gather(*(client(number) for number in range(clients)))
    return time.perf_counter() - started


async def flow(args: argparse.Namespace) -> dict[str, Any]:
    database = Database(args.database_url)
    tally = Tally()
    https = [session(args.base, 1) for _ in range(args.clients)]
    browsers = [Browser(http) for http in https]
    numbers = itertools.count(args.first_address)

    async def work(client: int) -> None:
        number = next(numbers)
        email = f"{args.tag}-{number}@example.org"
        try:
            await register_once(browsers[client], database, tally, slug=args.slug, email=email, number=number)
        except aiohttp.ClientError as error:  # a server that drops the connection after a 500, for one
            tally.errors[f"connection: {type(error).__name__}"] += 1

    warm = Tally()
    try:
        if args.warm:
            await run_for(args.warm, args.clients, work)
            warm, tally = tally, Tally()
        seconds = await run_for(args.seconds, args.clients, work)
    finally:
        await asyncio.gather(*(http.close() for http in https))
        await database.dispose()
    return tally.report(seconds, warm_completed=warm.completed, warm_errors=dict(warm.errors))


async def loop(args: argparse.Namespace) -> dict[str, Any]:
    tally = Tally()
    async with session(args.base, args.clients) as http:
        browser = Browser(http)

        async def work(_client: int) -> None:
            started = time.perf_counter()
            try:
                answer = await browser.request("GET", args.path, headers={})
            except aiohttp.ClientError as error:
                tally.errors[f"connection: {type(error).__name__}"] += 1
                return
            if expect(tally, answer, 200, f"GET {args.path}"):
                tally.latencies.append(time.perf_counter() - started)
                tally.completed += 1

        if args.warm:
            await run_for(args.warm, args.clients, work)
            tally = Tally()
        seconds = await run_for(args.seconds, args.clients, work)
    return tally.report(seconds)


async def burst(args: argparse.Namespace) -> dict[str, Any]:
    if args.requests:
        with open(args.requests, encoding="utf-8") as file:
            requests: list[dict[str, Any]] = json.load(file)
    else:
        requests = [{"method": "GET", "path": args.path, "status": 200}] * args.count
    tally = Tally()
    async with session(args.base, len(requests)) as http:
        # Open every connection first, so the burst measures requests rather than TCP handshakes.
        warm = Browser(http)
        await asyncio.gather(*(warm.request("GET", "/healthz", headers={}) for _ in requests))
        gate = asyncio.Event()

        async def send(number: int, request: dict[str, Any]) -> None:
            browser = Browser(http)  # cookies come in the request's own headers
            await gate.wait()
            started = time.perf_counter()
            try:
                answer = await browser.request(
                    request["method"],
                    request["path"],
                    form=request.get("form"),
                    headers={**forwarded_for(number), **request.get("headers", {})},
                )
            except aiohttp.ClientError as error:
                tally.errors[f"connection: {type(error).__name__}"] += 1
                return
            if expect(tally, answer, request["status"], f"{request['method']} {request['path']}"):
                tally.latencies.append(time.perf_counter() - started)
                tally.completed += 1

        tasks = [asyncio.create_task(send(number, request)) for number, request in enumerate(requests)]
        await asyncio.sleep(0.2)  # every task is waiting at the gate
        started = time.perf_counter()
        gate.set()
        await asyncio.gather(*tasks)
        seconds = time.perf_counter() - started
    return tally.report(seconds, requests=len(requests))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["flow", "loop", "burst"])
    parser.add_argument("--base", required=True, help="the server's URL")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--warm", type=float, default=1, help="seconds of unmeasured load first")
    parser.add_argument("--path", default="/")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--requests", help="burst: JSON list of {method, path, form, headers, status}")
    parser.add_argument("--slug", default="")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--tag", default="bench")
    parser.add_argument("--first-address", type=int, default=0)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    result = asyncio.run({"flow": flow, "loop": loop, "burst": burst}[args.mode](args))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
