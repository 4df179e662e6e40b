"""A session's phase (upcoming, starting soon, live, ended, replay, cancelled): the schedule and the relay together."""
