"""Live session rooms: Q&A, chat, polls, announcements, and the per-room event log."""
