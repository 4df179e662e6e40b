"""Live rooms under load: N clients in one room on one server process, against a bare python-socketio
broadcast server in the same run. Clients live in worker processes (python-socketio AsyncClients over
WebSocket), as guests with the room's QR token or as signed-in delegates, each with the session cookie of an
account with a confirmed registration (``--mode``; both by default, in the same run). Measures the time for all clients to connect and join, the time for a highlighted question
to reach every client (p50, p99), a storm of one vote per client (exact counts at the end, counts
broadcasts per second), and server memory per client (RSS delta / clients).

    .venv/bin/python -m tests.bench.bench_live --clients 2000 --workers 4 --repeat 3 --bare-gc
    .venv/bin/python -m tests.bench.bench_live --clients 200 --repeat 1 --mode delegates   # a quick look
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import multiprocessing
import os
import statistics
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import socketio

from tests.bench.serving import demo_database, scratch_folder, uvicorn_server

NAMESPACE = "/live"
ROUNDS = 5


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    pid: int
    session: int
    auth: dict[str, str] | None  # what every audience client sends
    moderator_cookie: str | None
    cookies: list[str] | None = None  # one session cookie per audience client (signed-in delegates)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def prepare_podium(env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """Guests allowed in the demo event, a moderator signed in: (session id, guests' auth, cookie)."""
    from sqlmodel import col, select

    from server.accounts.models import Account, AuthSession, EventRole, Role
    from server.accounts.tokens import new_token, token_hash
    from server.agenda.models import Session
    from server.clock import utcnow
    from server.db import Database
    from server.events.models import Event
    from server.live.access import room_token
    from server.live.models import LiveSettings
    from server.settings import Settings

    settings = Settings.from_env(env)
    database = Database(settings.database_url)
    async with database.session() as db:
        event = (await db.exec(select(Event))).one()
        session = (
            await db.exec(select(Session).where(Session.event_id == event.id).order_by(col(Session.start)))
        ).first()
        assert session is not None and session.id is not None and event.id is not None
        db.add(LiveSettings(event_id=event.id, anonymous_guests=True))
        chair = Account(email="chair@example.org", name="Chair")
        db.add(chair)
        await db.flush()
        db.add(EventRole(event_id=event.id, account_id=chair.id or 0, role=Role.moderator))
        cookie = new_token()
        expires = utcnow() + dt.timedelta(days=1)
        db.add(AuthSession(token_hash=token_hash(cookie), account_id=chair.id or 0, expires_at=expires))
        await db.commit()
        token = room_token(settings.secret_key, event_id=event.id, session_id=session.id)
        session_id = session.id
    await database.dispose()
    return session_id, {"room_token": token}, cookie


async def prepare_delegates(env: dict[str, str], count: int) -> list[str]:
    """``count`` accounts with a confirmed (online) registration and a server-side session each, written straight
    into the database: their session cookies."""
    from sqlmodel import select

    from server.accounts.models import AuthSession
    from server.accounts.tokens import new_token, token_hash
    from server.clock import utcnow
    from server.db import Database
    from server.events.models import Event
    from server.registration.models import Attendance
    from server.settings import Settings
    from tests.support.factories import delegates

    database = Database(Settings.from_env(env).database_url)
    cookies = [new_token() for _ in range(count)]
    async with database.session() as db:
        event = (await db.exec(select(Event))).one()
        accounts = await delegates(db, event, count, attendance=Attendance.online, prefix="bench-delegate")
        expires = utcnow() + dt.timedelta(days=1)
        db.add_all(
            AuthSession(token_hash=token_hash(cookie), account_id=account.id or 0, expires_at=expires)
            for account, cookie in zip(accounts, cookies, strict=True)
        )
        await db.commit()
    await database.dispose()
    return cookies


# Worker processes: each holds a share of the audience.


class Worker:
    def __init__(
        self, url: str, count: int, session: int, auth: dict[str, str] | None, cookies: list[str] | None
    ) -> None:
        self.url, self.count, self.session, self.auth, self.cookies = url, count, session, auth, cookies
        self.clients: list[socketio.AsyncClient] = []
        self.arrivals: dict[int, list[float]] = {}
        self.arrived: dict[int, asyncio.Event] = {}
        self.last_votes: list[int] = [0] * count
        self.counts_seen: list[float] = []  # arrival times of counts at client 0
        self.voted_question: int | None = None

    def _attach(self, client: socketio.AsyncClient, index: int) -> None:
        async def room_event(event: dict[str, Any]) -> None:
            highlighted = event["data"].get("highlighted") if event["kind"] == "room" else None
            if highlighted is not None and highlighted["id"] in self.arrivals:
                now = time.time()
                times = self.arrivals[highlighted["id"]]
                times.append(now)
                if len(times) == self.count:
                    self.arrived[highlighted["id"]].set()

        async def counts(data: dict[str, Any]) -> None:
            if self.voted_question is not None and str(self.voted_question) in data["votes"]:
                self.last_votes[index] = data["votes"][str(self.voted_question)]
                if index == 0:
                    self.counts_seen.append(time.time())

        client.on("room_event", room_event, namespace=NAMESPACE)
        client.on("counts", counts, namespace=NAMESPACE)

    async def connect(self, count: int) -> int:
        """Connects and joins ``count`` more clients; returns how many failed."""
        limit = asyncio.Semaphore(10)
        first = len(self.clients)
        failures = 0

        async def one(index: int) -> None:
            nonlocal failures
            client = socketio.AsyncClient(reconnection=False)
            self._attach(client, index)
            headers = {"Cookie": f"podium_session={self.cookies[index]}"} if self.cookies else {}
            async with limit:
                for _attempt in range(5):
                    try:
                        await client.connect(
                            self.url,
                            headers=headers,
                            auth=self.auth,
                            namespaces=[NAMESPACE],
                            transports=["websocket"],
                            wait_timeout=60,
                        )
                        answer = await client.call("join", {"session": self.session}, namespace=NAMESPACE, timeout=120)
                        if answer["ok"]:
                            break
                    except Exception:
                        await client.disconnect()
                        await asyncio.sleep(1)
                else:
                    failures += 1
            self.clients.append(client)

        await asyncio.gather(*(one(index) for index in range(first, first + count)))
        return failures

    async def vote(self, question: int) -> dict[str, Any]:
        self.voted_question = question
        payload = {"session": self.session, "question": question, "vote": True}
        started = time.time()
        answers = await asyncio.gather(
            *(client.call("question.vote", payload, namespace=NAMESPACE, timeout=300) for client in self.clients),
            return_exceptions=True,
        )
        ok = sum(1 for answer in answers if isinstance(answer, dict) and answer.get("ok"))
        return {"ok": ok, "started": started, "finished": time.time()}

    async def serve(self, pipe: Any) -> None:
        loop = asyncio.get_running_loop()
        while True:
            command, argument = await loop.run_in_executor(None, pipe.recv)
            if command == "connect":
                pipe.send(("connected", await self.connect(min(argument, self.count - len(self.clients)))))
            elif command == "expect":
                self.arrivals[argument] = []
                self.arrived[argument] = asyncio.Event()
                pipe.send(("expecting", argument))
            elif command == "arrivals":
                with suppress(TimeoutError):
                    await asyncio.wait_for(self.arrived[argument].wait(), 30)
                pipe.send(("arrivals", self.arrivals[argument]))
            elif command == "vote":
                pipe.send(("voted", await self.vote(argument)))
            elif command == "final":
                pipe.send(("final", {"last_votes": self.last_votes, "counts_seen": self.counts_seen}))
            elif command == "quit":
                await asyncio.gather(*(client.disconnect() for client in self.clients), return_exceptions=True)
                pipe.send(("done", None))
                return


def worker_main(
    pipe: Any, url: str, count: int, session: int, auth: dict[str, str] | None, cookies: list[str] | None
) -> None:
    asyncio.run(Worker(url, count, session, auth, cookies).serve(pipe))


# The controller.


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def ask(pipes: list[Any], command: str, argument: Any = None) -> list[Any]:
    loop = asyncio.get_running_loop()
    for pipe in pipes:
        pipe.send((command, argument))
    return [(await loop.run_in_executor(None, pipe.recv))[1] for pipe in pipes]


async def measure(target: Target, clients: int, workers: int) -> dict[str, Any]:
    chair = socketio.AsyncClient(reconnection=False)
    headers = {"Cookie": f"podium_session={target.moderator_cookie}"} if target.moderator_cookie else {}
    await chair.connect(target.url, headers=headers, namespaces=[NAMESPACE], transports=["websocket"])
    await chair.call("join", {"session": target.session}, namespace=NAMESPACE)
    questions = []
    for n in range(ROUNDS + 1):
        payload = {"session": target.session, "text": f"Question {n}", "client_id": uuid.uuid4().hex}
        questions.append((await chair.call("question.ask", payload, namespace=NAMESPACE))["question"]["id"])
    await asyncio.sleep(1)
    baseline = rss_kib(target.pid)

    context = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    shares = [clients // workers + (1 if index < clients % workers else 0) for index in range(workers)]
    offsets = [sum(shares[:index]) for index in range(workers)]
    for share, offset in zip(shares, offsets, strict=True):
        mine, theirs = context.Pipe()
        cookies = target.cookies[offset : offset + share] if target.cookies else None
        arguments = (theirs, target.url, share, target.session, target.auth, cookies)
        process = context.Process(target=worker_main, args=arguments)
        process.start()
        pipes.append(mine)
        processes.append(process)
    # A tenth first: what serving clients costs once (buffers, database pool) is then paid, and the
    # rest shows the memory each further client takes.
    warm_up = max(1, min(shares) // 10)
    started = time.monotonic()
    failures = sum(await ask(pipes, "connect", warm_up))
    connect_seconds = time.monotonic() - started  # the time spent connecting and joining, without the pause
    await asyncio.sleep(3)
    warm = rss_kib(target.pid)
    started = time.monotonic()
    failures += sum(await ask(pipes, "connect", clients))
    connect_seconds += time.monotonic() - started
    await asyncio.sleep(3)  # presence updates settle
    final_rss = rss_kib(target.pid)
    per_client_kib = (final_rss - baseline) / clients
    marginal_kib = (final_rss - warm) / (clients - warm_up * workers)

    latencies: list[float] = []
    for question in questions[1:]:
        await ask(pipes, "expect", question)
        sent = time.time()
        answer = await chair.call(
            "question.highlight", {"session": target.session, "question": question}, namespace=NAMESPACE
        )
        assert answer["ok"], answer
        for arrivals in await ask(pipes, "arrivals", question):
            latencies += [(arrival - sent) * 1000 for arrival in arrivals]
        await asyncio.sleep(0.5)

    storm = await ask(pipes, "vote", questions[0])
    await asyncio.sleep(2.5)  # the last coalesced counts
    finals = await ask(pipes, "final")
    await ask(pipes, "quit")
    for process in processes:
        process.join(timeout=30)
    await chair.disconnect()

    first, last = min(s["started"] for s in storm), max(s["finished"] for s in storm)
    counts_seen = [t for final in finals for t in final["counts_seen"] if first <= t <= last + 0.5]
    seen_by_one = len([t for t in finals[0]["counts_seen"] if first <= t <= last + 0.5])
    final_counts = [count for final in finals for count in final["last_votes"]]
    return {
        "target": target.name,
        "clients": clients,
        "failed": failures,
        "connect_s": round(connect_seconds, 1),
        "highlight_p50_ms": round(statistics.median(latencies), 1),
        "highlight_p99_ms": round(percentile(latencies, 0.99), 1),
        "highlight_samples": len(latencies),
        "vote_acks": sum(s["ok"] for s in storm),
        "vote_storm_s": round(last - first, 2),
        "counts_per_s": round(seen_by_one / max(last - first + 0.5, 0.001), 1),
        "final_counts_exact": sum(1 for count in final_counts if count == clients) == clients,
        "final_counts": sorted(set(final_counts)),
        "kib_per_client": round(per_client_kib, 1),
        "marginal_kib_per_client": round(marginal_kib, 1),
        "_counts_seen": len(counts_seen),
    }


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One row per server: the median of each figure over the repeats (the machine is shared)."""
    row = dict(runs[0])
    for key, value in runs[0].items():
        if isinstance(value, float):
            row[key] = round(statistics.median(run[key] for run in runs), 1)
    row["vote_acks"] = min(run["vote_acks"] for run in runs)
    row["final_counts_exact"] = all(run["final_counts_exact"] for run in runs)
    return row


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="alternate the servers this many times")
    parser.add_argument("--only", choices=["bare", "podium"], default=None)
    parser.add_argument(
        "--mode",
        choices=["guests", "delegates", "both"],
        default="both",
        help="Podium's audience: guests with the room's QR token, signed-in delegates, or both in turn",
    )
    parser.add_argument("--bare-gc", action="store_true", help="give the bare server Podium's collector settings")
    args = parser.parse_args()
    modes = ["guests", "delegates"] if args.mode == "both" else [args.mode]
    runs: dict[str, list[dict[str, Any]]] = {"bare": [], **{mode: [] for mode in modes}}
    with scratch_folder() as folder:
        # Every client comes from this machine's one address: as many guests as clients behind it, like a hall
        # on one NAT (PODIUM_LIVE_GUESTS_PER_ADDRESS), or the per-address limits would refuse most of them.
        env = {**demo_database(Path(folder)), "PODIUM_LIVE_GUESTS_PER_ADDRESS": str(max(500, args.clients))}
        session, auth, cookie = await prepare_podium(env)
        cookies = await prepare_delegates(env, args.clients) if "delegates" in modes else None
        audiences: dict[str, tuple[dict[str, str] | None, list[str] | None]] = {
            "guests": (auth, None),
            "delegates": (None, cookies),
        }
        for _repeat in range(args.repeat):
            if args.only in (None, "bare"):
                bare_env = {**env, "PODIUM_BENCH_BARE_GC": "1"} if args.bare_gc else env
                with uvicorn_server("tests.bench.bare_sio:app", bare_env, factory=False) as (url, pid):
                    bare = Target("bare python-socketio", url, pid, session=1, auth=None, moderator_cookie=None)
                    runs["bare"].append(await measure(bare, args.clients, args.workers))
                    print(runs["bare"][-1], os.getloadavg(), flush=True)
            for mode in modes if args.only in (None, "podium") else []:
                guests_auth, delegates_cookies = audiences[mode]
                with uvicorn_server("realtime.live.asgi:app_from_env", env, factory=True) as (url, pid):
                    podium = Target(
                        f"Podium live rooms, {'guests' if mode == 'guests' else 'signed-in delegates'}",
                        url,
                        pid,
                        session=session,
                        auth=guests_auth,
                        moderator_cookie=cookie,
                        cookies=delegates_cookies,
                    )
                    runs[mode].append(await measure(podium, args.clients, args.workers))
                    print(runs[mode][-1], os.getloadavg(), flush=True)
    results = {name: median_of(found) for name, found in runs.items() if found}
    print(f"\nmedians of {args.repeat} alternating runs")
    print(
        "\n| server | clients | all joined | highlight p50 | highlight p99 | votes acked | storm | counts/s | exact "
        "| KiB/client (all) | KiB/client (after the first tenth) |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results.values():
        print(
            f"| {r['target']} | {r['clients']} | {r['connect_s']} s | {r['highlight_p50_ms']} ms | "
            f"{r['highlight_p99_ms']} ms | {r['vote_acks']} | {r['vote_storm_s']} s | {r['counts_per_s']} | "
            f"{r['final_counts_exact']} | {r['kib_per_client']} | {r['marginal_kib_per_client']} |"
        )
    print()
    for mode in modes:
        if "bare" in results and mode in results:
            ratio = results[mode]["highlight_p99_ms"] / results["bare"]["highlight_p99_ms"]
            print(f"p99 ratio Podium ({mode}) / bare: {ratio:.2f}")
    if "guests" in results and "delegates" in results:
        ratio = results["delegates"]["connect_s"] / results["guests"]["connect_s"]
        print(f"all joined, signed-in delegates / guests: {ratio:.2f}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(main())
