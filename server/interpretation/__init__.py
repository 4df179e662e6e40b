"""Simultaneous interpretation: which channels run in a session, its booths, who is on air."""
