"""The agenda: rooms, tracks, speakers and sessions of one event, and their exports."""
