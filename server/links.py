"""The site's addresses that the domain writes into mail and exports.

The domain knows no routes: the transport builds these from its named routes and the configured
``PODIUM_BASE_URL`` (``server/transport/urls.py``) and hands them to the services that need them.
"""

from __future__ import annotations

from typing import Protocol


class Links(Protocol):
    def site(self) -> str:
        """The site's front page, absolute, ending in a slash."""
        ...

    def event_page(self, event_slug: str) -> str:
        """An event's programme, absolute."""
        ...

    def session_page(self, event_slug: str, code: str) -> str:
        """A session's public page, absolute: every export links to it."""
        ...

    def schedule_xml(self, event_slug: str) -> str:
        """The event's frab schedule, absolute."""
        ...

    def reminder_page(self, event_slug: str, code: str) -> str:
        """Where a delegate changes or removes their reminder before a session, absolute."""
        ...

    def registration_page(self, event_slug: str) -> str:
        """A delegate's registration, absolute."""
        ...

    def registration_path(self, event_slug: str) -> str:
        """A delegate's registration, as a path on this site (where a sign-in link leads)."""
        ...

    def sign_in_page(self) -> str:
        """The page where anyone asks for a sign-in link, absolute."""
        ...

    def sign_in(self, token: str) -> str:
        """A mailed sign-in link, absolute."""
        ...
