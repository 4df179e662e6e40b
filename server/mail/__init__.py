"""Mail: every message goes into the outbox table; a sender delivers it over SMTP when one is configured."""
