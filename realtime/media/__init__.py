"""The media relay: ingest each session's stream once over WHIP and fan out encoded packets to WHEP viewers."""
