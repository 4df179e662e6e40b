"""A session's restream targets: organisers add, edit, turn off and delete them (one rule, versioned saves, every
change audited with the key masked); the relay that ingests the session reads the enabled ones while it is live
and writes back each target's state and bitrate.

A target's address is an ``rtmp://`` or ``rtmps://`` URL with a host; its key is stored encrypted
(server/restreams/keys.py) and given back only to the relay, decrypted, or to pages masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.audit.services import record
from server.clock import utcnow
from server.db import begin_write
from server.errors import Conflict, FieldErrors, NotFound, StaleVersion
from server.events.models import Event
from server.i18n import gettext as _
from server.permissions import require
from server.restreams.keys import UnreadableKey, decrypt_key, encrypt_key, masked_key
from server.restreams.models import RestreamState, RestreamTarget
from server.restreams.rules import can_manage_restreams
from server.text import storable

MAX_TARGETS = 10  # per session: each is one more upload from the relay's machine
MAX_LABEL = 100
MAX_URL = 500
MAX_KEY = 500
SCHEMES = ("rtmp", "rtmps")


@dataclass(frozen=True)
class TargetInput:
    """What an organiser's form says of a target; ``key`` empty on an edit keeps the stored key."""

    label: str
    url: str
    key: str
    enabled: bool


@dataclass(frozen=True)
class Pushable:
    """An enabled target as the relay pushes it: where, with which key (decrypted), at which version."""

    id: int
    session_id: int
    version: int
    label: str
    url: str
    key: str

    @property
    def address(self) -> str:
        """The publish address: the ingest URL and the key as its last path element."""
        return self.url.rstrip("/") + "/" + self.key


@dataclass(frozen=True)
class StateReport:
    """What the relay says of one target now."""

    target_id: int
    state: RestreamState
    bitrate: int = 0
    message: str = ""


def _clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def checked_input(values: dict[str, Any], *, adding: bool) -> TargetInput:
    """A form's fields as a TargetInput, or FieldErrors naming each field that is wrong."""
    errors: dict[str, str] = {}
    label, url, key = _clean(values.get("label")), _clean(values.get("url")), _clean(values.get("key"))
    for name, value, limit in (("label", label, MAX_LABEL), ("url", url, MAX_URL), ("key", key, MAX_KEY)):
        if not storable(value) or (value and not value.isprintable()):
            errors[name] = _("This contains characters Podium cannot accept, such as a NUL byte.")
        elif len(value) > limit:
            errors[name] = _("This is %(length)d characters long; %(max)d at most.") % {
                "length": len(value),
                "max": limit,
            }
    if not label and "label" not in errors:
        errors["label"] = _("Please fill this in.")
    if "url" not in errors:
        problem = url_problem(url)
        if problem:
            errors["url"] = problem
    if "key" not in errors:
        if adding and not key:
            errors["key"] = _("Please fill this in.")
        elif any(char.isspace() for char in key) or "/" in key:
            errors["key"] = _("A stream key has no spaces or slashes; copy it again from the platform.")
    if errors:
        raise FieldErrors(errors)
    return TargetInput(label=label, url=url, key=key, enabled=values.get("enabled") in ("1", "on", "true", True))


def url_problem(url: str) -> str:
    """Why ``url`` is no RTMP(S) ingest address, or "" when it is one."""
    if not url:
        return _("Please fill this in.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if parts is None or parts.scheme.lower() not in SCHEMES:
        return _("The address must start with rtmp:// or rtmps://, like rtmp://a.rtmp.youtube.com/live2.")
    if not parts.hostname or any(char.isspace() for char in url) or parts.username or parts.password:
        return _("The address needs a host name, like rtmp://a.rtmp.youtube.com/live2.")
    if port == 0 or parts.query or parts.fragment:
        return _("The address needs a host name, like rtmp://a.rtmp.youtube.com/live2.")
    return ""


def _audited(target: RestreamTarget, secret: str) -> dict[str, Any]:
    return {
        "label": target.label,
        "url": target.url,
        "key": masked_key(secret, target.key_encrypted),
        "enabled": target.enabled,
    }


async def targets_of(db: AsyncSession, *, event: Event, session_id: int) -> list[RestreamTarget]:
    query = (
        select(RestreamTarget)
        .where(RestreamTarget.event_id == event.id, RestreamTarget.session_id == session_id)
        .order_by(col(RestreamTarget.id))
    )
    return list((await db.exec(query)).all())


async def _target(
    db: AsyncSession, *, event: Event, session_id: int, target_id: int, lock: bool = False
) -> RestreamTarget:
    query = select(RestreamTarget).where(
        RestreamTarget.id == target_id, RestreamTarget.event_id == event.id, RestreamTarget.session_id == session_id
    )
    target = (await db.exec(query.with_for_update() if lock else query)).first()
    if target is None:
        raise NotFound(_("There is no such restream target."))
    return target


async def add_target(
    db: AsyncSession, *, actor: Actor, event: Event, session_id: int, values: dict[str, Any], secret: str, subject: Any
) -> RestreamTarget:
    """A new target for the session; ``subject`` is what the rule is asked about (the session's view)."""
    require(actor, can_manage_restreams, subject)
    given = checked_input(values, adding=True)
    await begin_write(db)
    try:
        if len(await targets_of(db, event=event, session_id=session_id)) >= MAX_TARGETS:
            raise Conflict(_("A session can have at most %(count)d restream targets.") % {"count": MAX_TARGETS})
        target = RestreamTarget(
            event_id=event.id or 0,
            session_id=session_id,
            label=given.label,
            url=given.url,
            key_encrypted=encrypt_key(secret, given.key),
            enabled=given.enabled,
        )
        db.add(target)
        await db.flush()
        record(
            db,
            actor=actor,
            event=event,
            action="restream.add",
            target_type="restream",
            target_id=target.id,
            target_label=given.label,
            after=_audited(target, secret),
        )
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    await db.refresh(target)
    return target


async def edit_target(
    db: AsyncSession,
    *,
    actor: Actor,
    event: Event,
    session_id: int,
    target_id: int,
    version: int,
    values: dict[str, Any],
    secret: str,
    subject: Any,
) -> RestreamTarget:
    """Save the form over the target if nobody saved it since ``version`` (else StaleVersion); the relay picks the
    new version up within seconds and reconnects with it."""
    require(actor, can_manage_restreams, subject)
    await begin_write(db)
    try:
        target = await _target(db, event=event, session_id=session_id, target_id=target_id, lock=True)
        given = checked_input(values, adding=False)
        if target.version != version:
            raise StaleVersion(_("Someone else saved this restream target while you were editing it."))
        before = _audited(target, secret)
        target.label, target.url, target.enabled = given.label, given.url, given.enabled
        if given.key:
            target.key_encrypted = encrypt_key(secret, given.key)
        target.version += 1
        if not target.enabled:
            target.state, target.bitrate, target.message = RestreamState.off, 0, ""
        db.add(target)
        record(
            db,
            actor=actor,
            event=event,
            action="restream.update",
            target_type="restream",
            target_id=target.id,
            target_label=target.label,
            before=before,
            after=_audited(target, secret),
        )
        await db.commit()
    except BaseException:
        await db.rollback()
        raise
    await db.refresh(target)
    return target


async def delete_target(
    db: AsyncSession, *, actor: Actor, event: Event, session_id: int, target_id: int, secret: str, subject: Any
) -> None:
    """The relay stops pushing to a deleted target at its next look (within seconds)."""
    require(actor, can_manage_restreams, subject)
    await begin_write(db)
    try:
        target = await _target(db, event=event, session_id=session_id, target_id=target_id, lock=True)
        record(
            db,
            actor=actor,
            event=event,
            action="restream.delete",
            target_type="restream",
            target_id=target.id,
            target_label=target.label,
            before=_audited(target, secret),
        )
        await db.delete(target)
        await db.commit()
    except BaseException:
        await db.rollback()
        raise


def shown_key(target: RestreamTarget, secret: str) -> str:
    return masked_key(secret, target.key_encrypted)


# The relay's side


async def pushable_targets(
    db: AsyncSession, *, session_ids: Sequence[int], secret: str
) -> tuple[list[Pushable], list[int]]:
    """The enabled targets of these sessions with their keys decrypted, and the ids of those whose key cannot be
    decrypted (the secret key changed since it was saved: the organiser enters the key again)."""
    if not session_ids:
        return [], []
    query = (
        select(RestreamTarget)
        .where(col(RestreamTarget.session_id).in_(list(session_ids)), col(RestreamTarget.enabled).is_(True))
        .order_by(col(RestreamTarget.id))
    )
    found, unreadable = [], []
    for target in (await db.exec(query)).all():
        try:
            key = decrypt_key(secret, target.key_encrypted)
        except UnreadableKey:
            unreadable.append(target.id or 0)
            continue
        found.append(
            Pushable(
                id=target.id or 0,
                session_id=target.session_id,
                version=target.version,
                label=target.label,
                url=target.url,
                key=key,
            )
        )
    return found, unreadable


async def report_states(db: AsyncSession, reports: Sequence[StateReport], *, now: dt.datetime | None = None) -> None:
    """Write what the relay says of each target; a target deleted meanwhile is simply not there any more."""
    if not reports:
        return
    at = now or utcnow()
    for report in reports:
        await db.exec(
            update(RestreamTarget)
            .where(col(RestreamTarget.id) == report.target_id)
            .values(state=report.state.value, bitrate=report.bitrate, message=report.message[:300], state_at=at)
        )
    await db.commit()


def state_json(target: RestreamTarget, secret: str) -> dict[str, Any]:
    """A target as the console shows it: never the key, only its mask."""
    return {
        "id": target.id,
        "label": target.label,
        "key": shown_key(target, secret),
        "enabled": target.enabled,
        "state": target.state if target.enabled else RestreamState.off.value,
        "bitrate": target.bitrate if target.enabled else 0,
        "message": target.message,
        "state_at": target.state_at.isoformat() if target.state_at else None,
    }
