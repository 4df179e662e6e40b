"""Restreams: a session's stream pushed by the relay to existing platforms' RTMP(S) ingests."""
