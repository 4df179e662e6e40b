"""Reminders before a picked session starts: by mail and Web Push, and alarms in the personal calendar feed."""
