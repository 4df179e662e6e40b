"""Who acts: one type for pages, services and live rooms. A live room's participant is an ``Actor`` with the
room's context (server/live/access.py); rules (``server/<domain>/rules.py``) read only what is here."""

from __future__ import annotations

from dataclasses import dataclass

from server.accounts.models import Account, Role


@dataclass(frozen=True, slots=True)
class Actor:
    """An account (or nobody) and the roles it holds in the event at hand (none outside an event)."""

    account: Account | None
    roles: frozenset[Role] = frozenset()
    # (role, language) for the roles held per language (interpreter, captioner): RoleLanguage rows.
    languages: frozenset[tuple[Role, str]] = frozenset()

    @property
    def is_anonymous(self) -> bool:
        return self.account is None

    @property
    def in_room(self) -> bool:
        """Admitted to a live room (a ``Participant``): refusals there say why (server/permissions.py)."""
        return False

    @property
    def account_id(self) -> int | None:
        return self.account.id if self.account is not None else None

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def serves(self, role: Role, language: str) -> bool:
        """Holds ``role`` for ``language`` (an interpreter's booth, a captioner's language)."""
        return role in self.roles and (role, language) in self.languages

    def languages_of(self, role: Role) -> frozenset[str]:
        return frozenset(language for held, language in self.languages if held == role and role in self.roles)
