"""Registration under load, on SQLite and PostgreSQL: one uvicorn process serving Podium, the load generator
(``tests.bench.registration_load``) in another process, baselines measured in the same run.

1. Completed registrations per second: signed-out visitors each GET the form, POST it, read the
   confirmation link from the outbox table and POST it (signed in, registration confirmed). Baseline:
   a bare Starlette endpoint doing one INSERT + commit per request, same engine and driver.
2. The seat race: 1,000 confirmed on-site delegates (inserted directly, with known session tokens) POST a
   pick of one session with 100 seats at the same moment; then exactly 100 must be confirmed and 900
   waitlisted. Baseline: 1,000 simultaneous GETs of the bare endpoint; beside it 1,000 simultaneous GETs of the
   session's page by the same delegates, signed in.

Run: .venv/bin/python -m tests.bench.bench_registration [--rounds 3 --seconds 5 --clients 32 --race 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import col, delete, func, select

from server.accounts.models import Account, AuthSession
from server.accounts.services import LINKS_PER_IP_PER_10_MINUTES
from server.accounts.tokens import token_hash
from server.agenda.models import Room, Session
from server.clock import utcnow
from server.db import Database, begin_write
from server.registration.models import Attendance, ChoiceStatus, Registration, RegistrationStatus, SessionChoice
from server.settings import normalise_database_url
from tests.bench.registration_profile import sampled, summary
from tests.bench.serving import ROOT, median, scratch_folder, uvicorn_server

SLUG = "asian-dialogue-2021"
SESSION_PAGE = "GET session page, signed in"
# What a profile's samples are told apart by: the drivers, the ORM, templates, routing, forms, signing, the batch.
PROFILE_MARKS = (
    "aiosqlite/core.py",  # SQLite's statements and commits (fsync), in its worker thread
    "asyncpg",
    "sqlalchemy/orm",
    "sqlalchemy/engine",
    "jinja2",
    "Route.matches",  # finding the route: a regular expression per route until one matches
    "multipart",
    "itsdangerous",
    "pick_batches.py",
)
POSTGRES_ADMIN_URL = os.environ.get("PODIUM_TEST_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test")


@dataclass
class Figures:
    """Per backend: a list of values per measured row, one value per round."""

    rates: dict[str, list[float]] = field(default_factory=dict)
    bursts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    checks: list[tuple[str, bool]] = field(default_factory=list)  # what was verified, and whether it held
    server_errors: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)

    def rate(self, name: str, value: float) -> None:
        self.rates.setdefault(name, []).append(value)

    def burst(self, name: str, result: dict[str, Any]) -> None:
        self.bursts.setdefault(name, []).append(result)

    def check(self, text: str, *, ok: bool) -> None:
        self.checks.append((text, ok))


def podium(*args: str, env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, cwd=ROOT, check=True, capture_output=True)


@contextmanager
def scratch_database(backend: str) -> Iterator[dict[str, str]]:
    """Environment for a throwaway database holding the demo event and its demo accounts."""
    base = {**os.environ, "PODIUM_ENV": "development", "FORWARDED_ALLOW_IPS": "127.0.0.1"}
    if backend == "sqlite":
        with scratch_folder() as folder:
            env = {**base, "PODIUM_DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.db'}"}
            podium("db", "upgrade", env=env)
            podium("load-demo", env=env)
            yield env
        return
    name = f"podium_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(postgres_admin(f'CREATE DATABASE "{name}"'))
    try:
        env = {**base, "PODIUM_DATABASE_URL": POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"}
        podium("db", "upgrade", env=env)
        podium("load-demo", env=env)
        yield env
    finally:
        asyncio.run(postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def postgres_admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def database_url(env: dict[str, str]) -> str:
    return normalise_database_url(env["PODIUM_DATABASE_URL"])


@contextmanager
def serve(app: str, env: dict[str, str], figures: Figures, *, factory: bool = False) -> Iterator[tuple[str, int]]:
    """One uvicorn process, as `podium serve` runs (it trusts X-Forwarded-For from FORWARDED_ALLOW_IPS only);
    its log goes to a file, and the exceptions in it are counted into ``figures.server_errors``. Yields its URL
    and process id."""
    with tempfile.TemporaryFile("w+") as log:
        try:
            with uvicorn_server(app, env, factory=factory, output=log) as (url, pid):
                yield url, pid
        finally:
            log.seek(0)
            figures.server_errors.update(exceptions_in(log.read()))


def exceptions_in(log: str) -> Counter[str]:
    """Each error report in a server log, as "where: what was raised" (chained tracebacks count once)."""
    found: Counter[str] = Counter()
    where, raised = "", ""
    for line in [*log.splitlines(), "(end)"]:
        if line.startswith("Traceback (most recent call last):") or not line or line.startswith(" "):
            continue
        if line.startswith(("The above exception", "During handling of the above")):
            continue
        if re.match(r"^[\w.]+(Error|Exception)\b", line):
            raised = line[:150]
            continue
        if raised:  # the report before this line is complete
            found[f"{where}: {raised}"] += 1
        where, raised = line.removeprefix("ERROR:").strip()[:80], ""
    return found


def generate(mode: str, base: str, env: dict[str, str], *options: str) -> dict[str, Any]:
    """Runs the load generator in its own process and returns what it measured."""
    command = [sys.executable, "-m", "tests.bench.registration_load", mode, "--base", base, *options]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"the load generator failed:\n{result.stderr}")
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def check_rate_limit_is_on(base: str, figures: Figures) -> None:
    """Proves the benchmark does not switch the per-IP limit off: one address gets exactly its quota."""
    address = {"x-forwarded-for": "192.0.2.1"}
    with httpx.Client(base_url=base, headers=address, timeout=30) as http:
        http.get(f"/{SLUG}/register")
        form = {"name": "Limit", "country": "ID", "attendance": "online", "language": "en"}
        form["csrf_token"] = http.cookies["podium_csrf"]
        statuses: list[int | str] = []
        for n in range(LINKS_PER_IP_PER_10_MINUTES + 1):
            try:
                answer = http.post(f"/{SLUG}/register", data={**form, "email": f"limit-{n}@example.org"})
                statuses.append(answer.status_code)
            except httpx.TransportError as error:
                statuses.append(type(error).__name__)
    expected = [303] * LINKS_PER_IP_PER_10_MINUTES + [429]
    if statuses != expected:
        figures.check(f"per-IP limit: {len(statuses)} registrations from one address answered {statuses}", ok=False)
    else:
        figures.check(
            f"per-IP limit on: {LINKS_PER_IP_PER_10_MINUTES} registrations from one address, then 429", ok=True
        )


async def count_registrations(url: str, prefix: str) -> dict[str, int]:
    database = Database(url)
    try:
        async with database.session() as db:
            rows = await db.exec(
                select(Registration.status, func.count())
                .where(col(Registration.email).startswith(prefix))
                .group_by(col(Registration.status))
            )
            return {status: int(number) for status, number in rows.all()}
    finally:
        await database.dispose()


def profile_file(args: argparse.Namespace, env: dict[str, str], step: str) -> Path | None:
    """Where ``--profile`` puts the server's samples for ``step`` on this backend; None without it."""
    if not args.profile:
        return None
    backend = "sqlite" if env["PODIUM_DATABASE_URL"].startswith("sqlite") else "postgres"
    folder = Path(args.profile)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{backend}-{step}.txt"


def bench_registrations(env: dict[str, str], figures: Figures, args: argparse.Namespace) -> None:
    url = database_url(env)
    with (
        serve("tests.bench.bare_insert_app:create_app", env, figures, factory=True) as (bare, _bare_pid),
        serve("server.app:create_app", env, figures, factory=True) as (app, app_pid),
    ):
        check_rate_limit_is_on(app, figures)
        timing = ["--clients", str(args.clients), "--seconds", str(args.seconds)]
        completed = 0
        for round_number in range(args.rounds):  # interleaved, so drift hits every target alike
            for name, path in (("bare GET, no database", "/"), ("bare INSERT + commit", "/insert")):
                result = generate("loop", bare, env, *timing, "--path", path)
                figures.rate(f"{name}, req/s", result["per_second"])
            with sampled(app_pid, profile_file(args, env, "registrations") if round_number == 0 else None):
                result = generate(
                    "flow",
                    app,
                    env,
                    *timing,
                    *("--slug", SLUG, "--database-url", url, "--tag", "bench"),
                    *("--first-address", str(round_number * 1_000_000)),
                )
            figures.failures.update(result["errors"])
            figures.failures.update({f"{step} (warm-up)": n for step, n in result["warm_errors"].items()})
            figures.rate("completed registrations/s", result["per_second"])
            figures.rate("registration p50 ms", result["p50_ms"])
            figures.rate("registration p99 ms", result["p99_ms"])
            completed += result["completed"] + result["warm_completed"]
    found = asyncio.run(count_registrations(url, "bench-"))
    agrees = found == {RegistrationStatus.confirmed: completed}
    failed = ", ".join(f"{count} × {step}" for step, count in figures.failures.items()) or "none"
    figures.check(
        f"registrations: {completed} completed by the generator, the database holds {found}; failed: {failed}",
        ok=agrees and not figures.failures,
    )


async def race_setup(url: str, count: int, seats: int) -> tuple[str, list[str]]:
    """``count`` confirmed on-site delegates with known session tokens; the first parallel session gets
    a room of ``seats`` seats. Returns the session's code and the tokens."""
    database = Database(url)
    try:
        async with database.session() as db:
            await begin_write(db)  # a read-then-write: hold SQLite's write lock from the start
            session = (
                await db.exec(select(Session).where(Session.kind == "parallel").order_by(col(Session.start)))
            ).first()
            assert session is not None
            room = await db.get_one(Room, session.room_id)
            room.capacity = seats
            db.add(room)
            accounts = [Account(email=f"seat{n}@example.org", name=f"Seat Delegate {n}") for n in range(count)]
            db.add_all(accounts)
            await db.flush()
            tokens = [secrets.token_urlsafe(32) for _ in accounts]
            now = utcnow()
            for account, token in zip(accounts, tokens, strict=True):
                db.add(
                    Registration(
                        event_id=session.event_id,
                        account_id=account.id or 0,
                        name=account.name,
                        email=account.email,
                        country="ID",
                        attendance=Attendance.onsite,
                        status=RegistrationStatus.confirmed,
                        confirmed_at=now,
                        badge_nonce=secrets.token_hex(8),
                        feed_token=secrets.token_urlsafe(24),
                    )
                )
                db.add(
                    AuthSession(
                        token_hash=token_hash(token),
                        account_id=account.id or 0,
                        created_at=now,
                        expires_at=now + timedelta(days=1),
                    )
                )
            await db.commit()
            return session.code, tokens
    finally:
        await database.dispose()


async def race_outcome(url: str, code: str, *, reset: bool = False) -> list[str]:
    """The session's picks in commit order (their statuses); ``reset`` removes them for the next round."""
    database = Database(url)
    try:
        async with database.session() as db:
            if reset:
                await begin_write(db)
            session_id = (await db.exec(select(Session.id).where(Session.code == code))).one()
            if reset:
                await db.exec(delete(SessionChoice).where(col(SessionChoice.session_id) == session_id))
                await db.commit()
                return []
            rows = await db.exec(
                select(SessionChoice.status)
                .where(SessionChoice.session_id == session_id)
                .order_by(col(SessionChoice.id))
            )
            return list(rows.all())
    finally:
        await database.dispose()


def bench_race(env: dict[str, str], figures: Figures, args: argparse.Namespace) -> None:
    url = database_url(env)
    code, tokens = asyncio.run(race_setup(url, args.race, args.seats))
    picks, pages = [], []
    for token in tokens:
        csrf = secrets.token_urlsafe(32)  # double submit: the cookie and the field only have to agree
        cookie = {"cookie": f"podium_session={token}; podium_csrf={csrf}"}
        path = f"/{SLUG}/sessions/{code}"
        form = {"csrf_token": csrf}
        picks.append({"method": "POST", "path": f"{path}/pick", "form": form, "headers": cookie, "status": 303})
        pages.append({"method": "GET", "path": path, "headers": cookie, "status": 200})  # signed in, as the pickers
    with (
        tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file,
        tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as page_file,
        serve("tests.bench.bare_app:app", env, figures) as (bare, _bare_pid),
        serve("server.app:create_app", env, figures, factory=True) as (app, app_pid),
    ):
        json.dump(picks, file)
        file.close()
        json.dump(pages, page_file)
        page_file.close()
        count = ["--count", str(args.race)]
        outcomes: list[dict[str, int]] = []
        for round_number in range(args.rounds):
            first = round_number == 0
            asyncio.run(race_outcome(url, code, reset=True))
            figures.burst("GET bare endpoint", generate("burst", bare, env, *count, "--path", "/"))
            with sampled(app_pid, profile_file(args, env, "session-page") if first else None):
                figures.burst(SESSION_PAGE, generate("burst", app, env, "--requests", page_file.name))
            with sampled(app_pid, profile_file(args, env, "picks") if first else None):
                result = generate("burst", app, env, "--requests", file.name)
            statuses = asyncio.run(race_outcome(url, code))
            seated = args.seats
            expected = [ChoiceStatus.confirmed] * seated + [ChoiceStatus.waitlisted] * (args.race - seated)
            result["exact"] = statuses == expected
            outcomes.append(dict(Counter(statuses)))
            figures.burst(f"POST pick, {seated} seats", result)
        Path(file.name).unlink()
        Path(page_file.name).unlink()
    exact = [result["exact"] for result in figures.bursts[f"POST pick, {args.seats} seats"]]
    errors = sum(sum(burst["errors"].values()) for bursts in figures.bursts.values() for burst in bursts)
    figures.check(
        f"seat race: {args.seats} confirmed then {args.race - args.seats} waitlisted, in commit order, "
        f"in {sum(exact)} of {len(exact)} rounds (outcomes: {outcomes}); failed requests: {errors}",
        ok=all(exact) and errors == 0,
    )


def print_report(results: dict[str, Figures], args: argparse.Namespace) -> None:
    if any(figures.rates for figures in results.values()):
        print(f"\nRegistrations: one uvicorn process, {args.clients} clients, {args.seconds:g} s rounds")
        print(f"{'backend':9} {'target':30} {'median':>8}   rounds")
    for backend, figures in results.items():
        if not figures.rates:
            continue
        for name, values in figures.rates.items():
            rounds = ", ".join(f"{value:.0f}" for value in values)
            print(f"{backend:9} {name:30} {median(values):8.1f}   {rounds}")
        done, bare = (
            median(figures.rates[name]) for name in ("completed registrations/s", "bare INSERT + commit, req/s")
        )
        print(f"{backend:9} {'registrations / bare INSERTs':30} {done / bare:8.3f}")

    if any(figures.bursts for figures in results.values()):
        print(f"\nSeat race: {args.race} requests released at once; wall time from the first send to the last answer")
        print(
            f"{'backend':9} {'burst (median of rounds)':28} {'wall s':>7} {'req/s':>6} {'p50 ms':>7} {'p99 ms':>7}  errors"
        )
    for backend, figures in results.items():
        if not figures.bursts:
            continue
        for name, bursts in figures.bursts.items():
            errors = [sum(burst["errors"].values()) for burst in bursts]
            cells = [median([burst[key] for burst in bursts]) for key in ("seconds", "per_second", "p50_ms", "p99_ms")]
            print(
                f"{backend:9} {name:28} {cells[0]:7.2f} {cells[1]:6.0f} {cells[2]:7.0f} {cells[3]:7.0f}"
                f"  {', '.join(map(str, errors))}"
            )
        bare = median([burst["per_second"] for burst in figures.bursts["GET bare endpoint"]])
        for name, label in ((f"POST pick, {args.seats} seats", "picks"), (SESSION_PAGE, "session pages")):
            rate = median([burst["per_second"] for burst in figures.bursts[name]])
            print(f"{backend:9} {label + ' / bare GETs':28} {rate / bare:7.3f}")
    print()
    for backend, figures in results.items():
        for text, ok in figures.checks:
            print(f"{backend}: {'ok' if ok else 'FAILED'}: {text}")
        for raised, count in figures.server_errors.most_common(6):
            print(f"{backend}: server log: {count} × {raised.split(' (Background')[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--race", type=int, default=1000, help="simultaneous pick requests")
    parser.add_argument("--seats", type=int, default=100)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--parts", default="registrations,race", help="which benchmarks to run")
    parser.add_argument("--profile", default="", help="folder: py-spy samples the server in the first round")
    args = parser.parse_args()

    print(f"load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    results: dict[str, Figures] = {}
    for backend in args.backends.split(","):
        figures = results[backend] = Figures()
        with scratch_database(backend) as env:
            if "registrations" in args.parts:
                bench_registrations(env, figures, args)
            if "race" in args.parts:
                bench_race(env, figures, args)
    print(f"load average after: {' '.join(f'{value:.2f}' for value in os.getloadavg())}")
    print_report(results, args)
    for path in sorted(Path(args.profile).glob("*.txt")) if args.profile else []:
        print(summary(path, marks=PROFILE_MARKS))
    if not all(ok for figures in results.values() for _text, ok in figures.checks):
        raise SystemExit("some checks FAILED: see above")


if __name__ == "__main__":
    main()
