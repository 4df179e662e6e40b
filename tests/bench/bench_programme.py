"""The programme editor's speed, with baselines measured in the same run.

1. A save: one organiser's browser posts the session form (a real change each time) to Podium in one uvicorn
   process, one request after the other, on the demo event; goal: median under 100 ms on SQLite. Baseline: the
   bare Starlette endpoint doing one INSERT + commit (``tests/bench/bare_insert_app.py``), interleaved with the
   saves, from the same client.
2. A release: 500 sessions (every one changed in a draft) and 2,000 delegates holding five picks each, released
   in process through ``release_programme``; goal: under 5 s, mails queued. Baseline: inserting the same number
   of outbox rows in one transaction, same database.

Run: .venv/bin/python -m tests.bench.bench_programme [--saves 200 --rounds 3 --backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import secrets
import time
from typing import Any

import httpx
import lxml.html
from sqlalchemy import insert
from sqlmodel import col, func, select

from server.accounts.actors import Actor
from server.accounts.models import Account, AuthSession, EventRole, Role
from server.accounts.tokens import token_hash
from server.agenda.models import Room, Session
from server.clock import utcnow
from server.db import Database
from server.events.models import Event
from server.mail.models import OutboxMail
from server.organising.models import SessionDraft
from server.organising.releases import release_programme
from server.registration.models import Registration, RegistrationStatus, SessionChoice
from tests.bench.bench_registration import SLUG, Figures, database_url, scratch_database, serve
from tests.bench.serving import median

SESSIONS, DELEGATES, PICKS = 500, 2000, 5


class Links:
    """The addresses a release writes into its mails (the transport's SiteUrls, without an app)."""

    def session_page(self, event_slug: str, code: str) -> str:
        return f"https://podium.example/{event_slug}/sessions/{code}"

    def registration_page(self, event_slug: str) -> str:
        return f"https://podium.example/{event_slug}/registration"


async def organiser_token(url: str) -> str:
    """A signed-in organiser of the demo event: the session cookie's value."""
    database = Database(url)
    try:
        async with database.session() as db:
            event = (await db.exec(select(Event).where(Event.slug == SLUG))).one()
            account = Account(email=f"organiser-{secrets.token_hex(3)}@example.org", name="Organiser")
            db.add(account)
            await db.flush()
            db.add(EventRole(event_id=event.id or 0, account_id=account.id or 0, role=Role.organiser))
            token = secrets.token_urlsafe(32)
            now = utcnow()
            db.add(
                AuthSession(
                    token_hash=token_hash(token),
                    account_id=account.id or 0,
                    created_at=now,
                    expires_at=now + dt.timedelta(days=1),
                )
            )
            await db.commit()
            return token
    finally:
        await database.dispose()


def form_of(http: httpx.Client, path: str) -> dict[str, Any]:
    """The session form's fields as the page fills them in."""
    answer = http.get(path)
    answer.raise_for_status()
    form = lxml.html.fromstring(answer.text).xpath("//form[contains(@class, 'session-editor')]")[0]
    values: dict[str, Any] = {"speakers": []}
    for control in form.xpath(".//input|.//select|.//textarea"):
        name = control.get("name")
        if control.tag == "select":
            chosen = control.xpath("./option[@selected]/@value") or control.xpath("./option[1]/@value")
            value = chosen[0] if chosen else ""
        elif control.tag == "textarea":
            value = control.text or ""
        else:
            value = control.get("value", "")
        if name == "speakers":
            values["speakers"] += [value] if value else []
        else:
            values[name] = value
    return values


def bench_saves(env: dict[str, str], figures: Figures, args: argparse.Namespace) -> None:
    token = asyncio.run(organiser_token(database_url(env)))
    path = f"/{SLUG}/organiser/programme/sessions/OPEN"
    with (
        serve("tests.bench.bare_insert_app:create_app", env, figures, factory=True) as bare,
        serve("server.app:create_app", env, figures, factory=True) as app,
        httpx.Client(base_url=bare, timeout=30) as bare_http,
        httpx.Client(base_url=app, timeout=30, cookies={"podium_session": token}) as http,
    ):
        values = form_of(http, path)
        version = int(values["version"])
        saves: list[float] = []
        inserts: list[float] = []
        bare_http.get("/insert")
        for number in range(args.saves):
            started = time.perf_counter()
            bare_http.get("/insert").raise_for_status()
            inserts.append(time.perf_counter() - started)
            form = {**values, "title": f"Opening Ceremony, take {number}", "version": str(version)}
            form["csrf_token"] = http.cookies["podium_csrf"]
            started = time.perf_counter()
            answer = http.post(path, data=form)
            saves.append(time.perf_counter() - started)
            if answer.status_code != 303:
                raise SystemExit(f"save {number} answered {answer.status_code}: {answer.text[:500]}")
            version += 1
    figures.rate("save median ms", median(saves) * 1000)
    figures.rate("bare INSERT median ms", median(inserts) * 1000)


async def build_release(url: str) -> tuple[Event, Actor]:
    """A second event of 500 sessions in 10 rooms over five days, all moved in drafts, and 2,000 delegates with
    five picks each (online, so picks never clash)."""
    database = Database(url)
    try:
        async with database.session() as db:
            suffix = secrets.token_hex(3)
            event = Event(
                slug=f"release-bench-{suffix}",
                title=f"Release Benchmark {suffix}",
                timezone="Asia/Jakarta",
                start_date=dt.date(2030, 3, 4),
                end_date=dt.date(2030, 3, 8),
            )
            db.add(event)
            await db.flush()
            rooms = [Room(event_id=event.id or 0, slug=f"room-{n}", name=f"Room {n}", capacity=200) for n in range(10)]
            db.add_all(rooms)
            await db.flush()
            first = dt.datetime(2030, 3, 4, 1, tzinfo=dt.UTC)
            sessions = [
                Session(
                    event_id=event.id or 0,
                    code=f"s{n}",
                    title=f"Session {n}",
                    kind="parallel",
                    start=first + dt.timedelta(days=(n // 10) // 10, minutes=45 * ((n // 10) % 10)),
                    end=first + dt.timedelta(days=(n // 10) // 10, minutes=45 * ((n // 10) % 10) + 40),
                    room_id=rooms[n % 10].id or 0,
                )
                for n in range(SESSIONS)
            ]
            db.add_all(sessions)
            organiser = Account(email=f"release-{secrets.token_hex(3)}@example.org", name="Organiser")
            accounts = [
                Account(email=f"d{n}-{secrets.token_hex(2)}@example.org", name=f"D {n}") for n in range(DELEGATES)
            ]
            db.add_all([organiser, *accounts])
            await db.flush()
            registrations = [
                Registration(
                    event_id=event.id or 0,
                    account_id=account.id or 0,
                    name=account.name,
                    email=account.email,
                    country="ID",
                    attendance="online",
                    language="zh-Hans" if n % 2 else "en",
                    status=RegistrationStatus.confirmed,
                    badge_nonce=secrets.token_hex(8),
                    feed_token=secrets.token_urlsafe(24),
                )
                for n, account in enumerate(accounts)
            ]
            db.add_all(registrations)
            await db.flush()
            db.add_all(
                SessionChoice(
                    event_id=event.id or 0,
                    registration_id=registration.id or 0,
                    session_id=sessions[(n * 7 + pick * 101) % SESSIONS].id or 0,
                    attendance="online",
                    status="confirmed",
                )
                for n, registration in enumerate(registrations)
                for pick in range(PICKS)
            )
            db.add_all(
                SessionDraft(
                    event_id=event.id or 0,
                    session_id=session.id,
                    code=session.code,
                    title=session.title,
                    kind=session.kind,
                    start=session.start + dt.timedelta(minutes=5),
                    end=session.end + dt.timedelta(minutes=5),
                    room_id=session.room_id,
                    language="en",
                    version=2,
                )
                for session in sessions
            )
            await db.commit()
            await db.refresh(event)
            await db.refresh(organiser)
            return event, Actor(account=organiser, roles=frozenset({Role.organiser}))
    finally:
        await database.dispose()


async def time_release(url: str, event: Event, actor: Actor) -> tuple[float, int]:
    database = Database(url)
    try:
        async with database.session() as db:
            started = time.perf_counter()
            release = await release_programme(db, actor=actor, event=event, links=Links())
            elapsed = time.perf_counter() - started
        async with database.session() as db:
            queued = (
                await db.exec(
                    select(func.count()).select_from(OutboxMail).where(col(OutboxMail.subject).contains(event.title))
                )
            ).one()
        if release.mails != queued:
            raise SystemExit(f"the release says {release.mails} mails, the outbox holds {queued}")
        return elapsed, int(queued)
    finally:
        await database.dispose()


async def time_bare_inserts(url: str, count: int) -> float:
    """The baseline: ``count`` outbox rows inserted in one transaction, in batches of 500, nothing else."""
    database = Database(url)
    try:
        async with database.session() as db:
            now = utcnow()
            rows = [
                {"recipient": f"bare{n}@example.org", "subject": "Baseline", "body": "x" * 600, "created_at": now}
                for n in range(count)
            ]
            started = time.perf_counter()
            for start in range(0, count, 500):
                await db.exec(insert(OutboxMail), params=rows[start : start + 500])
            await db.commit()
            return time.perf_counter() - started
    finally:
        await database.dispose()


def bench_release(env: dict[str, str], figures: Figures, args: argparse.Namespace) -> None:
    url = database_url(env)
    for _round in range(args.rounds):
        event, actor = asyncio.run(build_release(url))
        elapsed, queued = asyncio.run(time_release(url, event, actor))
        figures.rate("release s", elapsed)
        figures.rate("mails queued", queued)
        figures.rate(f"bare insert of {queued} outbox rows s", asyncio.run(time_bare_inserts(url, queued)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    failed = False
    for backend in args.backends.split(","):
        figures = Figures()
        with scratch_database(backend) as env:
            bench_saves(env, figures, args)
            bench_release(env, figures, args)
        print(f"\n{backend}")
        for name, values in figures.rates.items():
            shown = ", ".join(f"{value:.1f}" if value < 100 else f"{value:.0f}" for value in values)
            print(f"  {name:<40} median {median(values):9.2f}   ({shown})")
        save, release = median(figures.rates["save median ms"]), median(figures.rates["release s"])
        print(f"  save median {save:.1f} ms (goal < 100 ms): {'met' if save < 100 else 'NOT MET'}")
        print(f"  release {release:.2f} s (goal < 5 s): {'met' if release < 5 else 'NOT MET'}")
        if figures.server_errors:
            print(f"  server errors: {dict(figures.server_errors)}")
        failed |= save >= 100 or release >= 5 or bool(figures.server_errors)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
