"""Registration: on-site or online attendance, session picks with seats and waitlists, badges, check-in."""
