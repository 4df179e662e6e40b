"""The years Podium accepts in the dates and times people give it.

Python's calendar ends at the years 1 and 9999: a time near either end overflows when it moves to another
time zone (0001-01-01 in Beijing is still year 0 in UTC), and so do a calendar feed's margins around an
event. Every date or time that comes in (event files, a recording's play time) is kept within these years."""

from __future__ import annotations

YEARS = range(1900, 3000)
