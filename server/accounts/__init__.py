"""Accounts: passwordless sign-in by emailed link, server-side sessions, roles per event."""
