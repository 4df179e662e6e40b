"""Who may build an exhibition. Its page, images and guides are public like the programme that lists it (a draft
event's are "not found" to all but its staff, as every page of it: ``can_see_event`` where the event is loaded)."""

from __future__ import annotations

from server.accounts.rules import is_organiser

# Texts, opening hours, images and guides: the event's organisers.
can_build_exhibitions = is_organiser.named("can_build_exhibitions")
