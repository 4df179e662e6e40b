"""The audit log: who changed what in an event, when, with the values before and after."""
