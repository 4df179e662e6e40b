"""The ``podium`` command: serve, relay, migrate, check, back up, import and export events."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from server.errors import PodiumError
from server.settings import Settings, SettingsError

if TYPE_CHECKING:
    from server.accounts.models import Role


class CommandError(Exception):
    """A failure to report as one readable line with a non-zero exit."""


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        raise CommandError(str(exc)) from None


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from realtime.live.asgi import create_asgi
    from server.ops.logging import configure_logging

    settings = _settings()
    configure_logging(settings.log_format)
    print(f"Podium is serving on http://{args.host}:{args.port}/", flush=True)
    # Socket.IO in front of the Starlette app; behind nginx, X-Forwarded-* is trusted from FORWARDED_ALLOW_IPS.
    uvicorn.run(
        create_asgi(settings),
        host=args.host,
        port=args.port,
        log_level="info",
        log_config=None,
        access_log=False,
        proxy_headers=True,
        server_header=False,
        # Browsers offer permessage-deflate; accepting it keeps a zlib context per live-room connection (about
        # 70 KiB each), more than the rest of a connection, for messages of a few hundred bytes.
        ws_per_message_deflate=False,
    )


def cmd_relay(args: argparse.Namespace) -> None:
    from realtime.media.app import serve

    try:
        serve(host=args.host, port=args.port, edge=args.edge)
    except SettingsError as exc:
        raise CommandError(str(exc)) from None


def cmd_check(_args: argparse.Namespace) -> int:
    from server.ops.check import check

    report = asyncio.run(check())
    for warning in report.warnings:
        print(f"warning: {warning}")
    for problem in report.problems:
        print(problem)
    if report.ok:
        print("configuration looks good")
        return 0
    return 1


def cmd_backup(args: argparse.Namespace) -> None:
    from server.ops.backup import BackupError, backup

    try:
        size = backup(_settings(), Path(args.file))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"backed up the database to {args.file} ({size} bytes)")


def cmd_restore(args: argparse.Namespace) -> None:
    from server.ops.backup import BackupError, restore

    try:
        restore(_settings(), Path(args.file))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"restored the database from {args.file}")


def cmd_db_upgrade(_args: argparse.Namespace) -> None:
    from server.migrations import upgrade_sync

    settings = _settings()
    try:
        upgrade_sync(settings.database_url)
    except OSError as exc:
        raise CommandError(f"cannot reach the database: {exc}") from None
    print("database is up to date")


async def _import_event(settings: Settings, text: str, *, if_empty: bool) -> str:
    from sqlmodel import select

    import server.models  # noqa: F401 (every table on the metadata: agenda rows refer to accounts)
    from server.agenda.interchange import import_event, parse_event_file
    from server.db import Database
    from server.events.models import Event

    document = parse_event_file(text)
    database = Database(settings.database_url)
    try:
        async with database.session() as db:
            if if_empty and (await db.exec(select(Event))).first() is not None:
                return "the database already holds events; nothing imported"
            event = await import_event(db, document=document)
            return f"imported event {event.slug!r}: {event.title}"
    finally:
        await database.dispose()


def cmd_import_event(args: argparse.Namespace) -> None:
    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from None
    print(asyncio.run(_import_event(_settings(), text, if_empty=args.if_empty)))


async def _export_event(settings: Settings, slug: str) -> str:
    from server.agenda.interchange import dump_event_file, export_event
    from server.db import Database
    from server.events.services import get_event

    database = Database(settings.database_url)
    try:
        async with database.session() as db:
            event = await get_event(db, slug=slug)
            return dump_event_file(await export_event(db, event=event))
    finally:
        await database.dispose()


def cmd_export_event(args: argparse.Namespace) -> None:
    text = asyncio.run(_export_event(_settings(), args.slug))
    if args.output and args.output != "-":
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


async def _load_demo(settings: Settings) -> list[str]:
    from server.agenda.interchange import DEMO_EVENT_FILE
    from server.app import site_urls
    from server.db import Database
    from server.demo import load_demo

    event_text = DEMO_EVENT_FILE.read_text(encoding="utf-8")
    database = Database(settings.database_url)
    try:
        async with database.session() as db:
            return await load_demo(
                db, links=site_urls(settings.base_url), event_text=event_text, media_dir=settings.media_dir
            )
    finally:
        await database.dispose()


def cmd_load_demo(_args: argparse.Namespace) -> None:
    from server.app import site_urls
    from server.demo import sign_in_help

    settings = _settings()
    for line in [*asyncio.run(_load_demo(settings)), *sign_in_help(site_urls(settings.base_url).url("signin"))]:
        print(line)


def _role(name: str) -> Role:
    from server.accounts.models import Role

    try:
        return Role(name)
    except ValueError:
        raise CommandError(f"unknown role {name!r}; choose one of: {', '.join(r.value for r in Role)}") from None


async def _grant_role(settings: Settings, slug: str, email: str, role: str, name: str) -> str:
    from server.accounts.services import grant_role
    from server.db import Database
    from server.events.services import get_event

    chosen = _role(role)
    database = Database(settings.database_url)
    try:
        async with database.session() as db:
            event = await get_event(db, slug=slug)
            account = await grant_role(db, event=event, email=email, role=chosen, name=name)
            return f"{account.email} is {chosen.value} of {event.slug}"
    finally:
        await database.dispose()


INSTANCE_ROLE = "admin"  # ``podium grant-role EMAIL admin``: an instance admin, in no event


def cmd_grant_role(args: argparse.Namespace) -> None:
    if args.role is None:  # two arguments: EMAIL and an instance-wide role
        email, role = args.slug, args.email
        if role != INSTANCE_ROLE:
            raise CommandError(
                f"without an event the only role is {INSTANCE_ROLE!r}: podium grant-role EMAIL admin, "
                "or podium grant-role SLUG EMAIL ROLE for a role in an event"
            )
        print(asyncio.run(_grant_admin(_settings(), email, args.name)))
        return
    print(asyncio.run(_grant_role(_settings(), args.slug, args.email, args.role, args.name)))


async def _revoke_role(settings: Settings, slug: str, email: str, role: str) -> str:
    from server.accounts.services import revoke_role
    from server.db import Database
    from server.events.services import get_event

    chosen = _role(role)
    database = Database(settings.database_url)
    try:
        async with database.session() as db:
            event = await get_event(db, slug=slug)
            account = await revoke_role(db, event=event, email=email, role=chosen)
            return f"{account.email} is no longer {chosen.value} of {event.slug}"
    finally:
        await database.dispose()


def cmd_revoke_role(args: argparse.Namespace) -> None:
    print(asyncio.run(_revoke_role(_settings(), args.slug, args.email, args.role)))


async def _grant_admin(settings: Settings, email: str, name: str) -> str:
    from server.accounts.admin import grant_admin
    from server.db import Database

    database = Database(settings.database_url)
    try:
        async with database.session() as db:
            account = await grant_admin(db, email=email, name=name)
            return f"{account.email} is an instance admin"
    finally:
        await database.dispose()


def cmd_grant_admin(args: argparse.Namespace) -> None:
    print(asyncio.run(_grant_admin(_settings(), args.email, args.name)))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="podium",
        description="Podium: a hybrid conference platform. Settings come from PODIUM_* environment variables.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="serve the web application")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    serve.set_defaults(handler=cmd_serve)

    relay = commands.add_parser("relay", help="serve a media relay (WHIP and WHEP) as its own process")
    relay.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    relay.add_argument("--port", type=int, default=8100, help="port to listen on (default: %(default)s)")
    relay.add_argument(
        "--edge",
        action="store_true",
        help="an edge: pull each session its viewers ask for from the relay that ingests it (found in the database)",
    )
    relay.set_defaults(handler=cmd_relay)

    checker = commands.add_parser("check", help="check the configuration, database and Redis before starting")
    checker.set_defaults(handler=cmd_check)

    backer = commands.add_parser("backup", help="copy the SQLite database to FILE, consistently, while Podium runs")
    backer.add_argument("file", metavar="FILE", help="the backup file to write (must not exist)")
    backer.set_defaults(handler=cmd_backup)

    restorer = commands.add_parser("restore", help="replace the SQLite database with a backup (stop Podium first)")
    restorer.add_argument("file", metavar="FILE", help="the backup file to restore")
    restorer.set_defaults(handler=cmd_restore)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="apply every pending schema migration")
    db_upgrade.set_defaults(handler=cmd_db_upgrade)

    importer = commands.add_parser("import-event", help="load an event from a podium-event JSON file")
    importer.add_argument("file", metavar="FILE", help="path of the event file")
    importer.add_argument("--if-empty", action="store_true", help="only import when the database has no event")
    importer.set_defaults(handler=cmd_import_event)

    exporter = commands.add_parser("export-event", help="write an event as a podium-event JSON file")
    exporter.add_argument("slug", metavar="SLUG", help="the event's slug, as in its URL")
    exporter.add_argument("-o", "--output", help="file to write (default: standard output)")
    exporter.set_defaults(handler=cmd_export_event)

    demo = commands.add_parser("load-demo", help="load the demo event and its demo accounts into an empty database")
    demo.set_defaults(handler=cmd_load_demo)

    granter = commands.add_parser(
        "grant-role",
        help="give an account (created if needed) a role in an event, or make it an instance admin",
        usage="podium grant-role SLUG EMAIL ROLE | podium grant-role EMAIL admin",
        description="SLUG EMAIL ROLE gives a role in an event (delegate, speaker, moderator or organiser); "
        "EMAIL admin makes an instance admin, who may create events and disable accounts.",
    )
    granter.add_argument("slug", metavar="SLUG", help="the event's slug (or EMAIL, to make an instance admin)")
    granter.add_argument("email", metavar="EMAIL", help="the person's email address (or admin)")
    granter.add_argument("role", metavar="ROLE", nargs="?", help="delegate, speaker, moderator or organiser")
    granter.add_argument("--name", default="", help="the person's name, for a new account")
    granter.set_defaults(handler=cmd_grant_role)

    revoker = commands.add_parser(
        "revoke-role", help="take a role in an event away; open live connections lose it within seconds"
    )
    revoker.add_argument("slug", metavar="SLUG", help="the event's slug")
    revoker.add_argument("email", metavar="EMAIL", help="the person's email address")
    revoker.add_argument("role", metavar="ROLE", help="delegate, speaker, moderator or organiser")
    revoker.set_defaults(handler=cmd_revoke_role)

    admin = commands.add_parser(
        "grant-admin", help="make an account (created if needed) an instance admin: it may disable any account"
    )
    admin.add_argument("email", metavar="EMAIL", help="the person's email address")
    admin.add_argument("--name", default="", help="the person's name, for a new account")
    admin.set_defaults(handler=cmd_grant_admin)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.handler(args)
    except (CommandError, PodiumError) as exc:
        print(f"podium: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, SQLAlchemyError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        print(f"podium: error: the database failed: {reason}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return int(code or 0)


if __name__ == "__main__":
    raise SystemExit(main())
