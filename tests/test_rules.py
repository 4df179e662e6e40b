"""The permissions layer: named rules composed from roles, one refusal policy, and the README's table made
from the rules themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.accounts.actors import Actor
from server.accounts.models import Account, Role
from server.accounts.rules import is_instance_admin
from server.errors import Forbidden, NotFound
from server.live.access import Participant
from server.live.rules import can_moderate, in_room
from server.permissions import require
from server.rules import who_may_table
from server.streams.rules import can_publish, can_rotate_token

README = Path(__file__).resolve().parents[1] / "README.md"
ROLES = (None, Role.delegate, Role.speaker, Role.moderator, Role.organiser)


def actor(role: Role | None, *, account_id: int = 7) -> Actor:
    account = Account(id=account_id, email=f"a{account_id}@example.org")
    return Actor(account=account if role else None, roles=frozenset({role}) if role else frozenset())


def participant(role: Role | None, *, session_id: int) -> Participant:
    person = actor(role)
    return Participant(
        account=person.account,
        roles=person.roles,
        key="a7",
        name="Chair",
        kind="account",
        event_id=1,
        session_id=session_id,
        origin="online",
        country="",
    )


def test_rotating_a_publish_token_is_for_moderators_and_organisers() -> None:
    allowed = {role: can_rotate_token(actor(role)) for role in ROLES}

    assert allowed == {
        None: False,
        Role.delegate: False,
        Role.speaker: False,
        Role.moderator: True,
        Role.organiser: True,
    }


def test_publishing_needs_a_speaker_linked_to_this_session() -> None:
    class View:
        speakers = [type("Speaker", (), {"account_id": 7})()]

    class OtherView:
        speakers = [type("Speaker", (), {"account_id": 8})()]

    assert (can_publish(actor(Role.speaker), View()), can_publish(actor(Role.speaker), OtherView())) == (True, False)
    assert can_publish(actor(Role.delegate), View()) is False


def test_a_refusal_outside_a_room_is_not_found_in_one_wording() -> None:
    with pytest.raises(NotFound) as moderating:
        require(actor(Role.delegate), can_moderate)
    with pytest.raises(NotFound) as administering:
        require(actor(Role.organiser), is_instance_admin)

    assert moderating.value.message == administering.value.message == "There is no page at this address."


def test_in_a_room_a_refusal_says_why_but_another_room_is_not_found() -> None:
    delegate = participant(Role.delegate, session_id=3)

    with pytest.raises(Forbidden) as refused:
        require(delegate, can_moderate)
    with pytest.raises(NotFound) as elsewhere:
        require(participant(Role.moderator, session_id=3), in_room, 4)

    assert refused.value.message == "Only the room's moderators may do this."
    assert elsewhere.value.message == "There is no such session."
    assert (delegate.can_moderate, participant(Role.organiser, session_id=3).can_moderate) == (False, True)


def test_readme_table_of_who_may_do_what_is_made_from_the_rules() -> None:
    table = who_may_table()

    assert "| `can_rotate_token` | moderator or organiser | `server/streams/rules.py` |" in table
    assert table in README.read_text(encoding="utf-8")
