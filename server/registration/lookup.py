"""The check-in desk's lookup: this event's registrations whose name or organisation has a word starting with the
letters typed, ignoring case and accents ("ozl" finds "Özlem", "dun" finds "Dunhuang Academy")."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.accounts.actors import Actor
from server.events.models import Event
from server.permissions import require
from server.registration.models import Registration
from server.registration.rules import can_check_in

LIMIT = 8  # a phone's screen of results; more letters narrow them
LONGEST = 100


@dataclass(frozen=True)
class Lookup:
    typed: str
    found: list[Registration]
    more: bool  # further registrations matched beyond LIMIT


def folded(text: str) -> str:
    """Lower case without accents: "Émile Öztürk" → "emile ozturk"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def matches(query: str, text: str) -> bool:
    """Whether the folded ``text`` starts with ``query``, or has a word (after a space or hyphen) that does."""
    text = folded(text)
    if text.startswith(query):
        return True
    return any(word.startswith(query) for word in text.replace("-", " ").split())


async def find_people(db: AsyncSession, *, actor: Actor, event: Event, typed: str, limit: int = LIMIT) -> Lookup:
    require(actor, can_check_in)
    typed = " ".join(typed.split())[:LONGEST]
    query = folded(typed)
    if not query:
        return Lookup(typed, [], more=False)
    # Folding happens here rather than in SQL (accents need an extension there): an event's names are a few
    # thousand short strings, read as three columns.
    rows = (
        await db.exec(
            select(Registration.id, Registration.name, Registration.organisation).where(
                Registration.event_id == event.id
            )
        )
    ).all()
    hits = sorted(
        (
            (folded(name), ident)
            for ident, name, organisation in rows
            if matches(query, name) or matches(query, organisation)
        ),
    )
    wanted = [ident for _name, ident in hits[:limit]]
    people = (await db.exec(select(Registration).where(col(Registration.id).in_(wanted)))).all() if wanted else []
    order = {ident: index for index, ident in enumerate(wanted)}
    return Lookup(typed, sorted(people, key=lambda person: order[person.id]), more=len(hits) > limit)
