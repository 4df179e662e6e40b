"""A session's phase (upcoming, starting soon, live, ended, replay, cancelled): the schedule and the relay together.

``rule.phase_of`` is the one rule; ``board`` reads what it needs for every session of an event at once (a fixed
number of statements) and keeps it for a moment, so every page and the API show the same phase."""
