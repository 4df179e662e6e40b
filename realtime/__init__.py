"""Live rooms (Socket.IO) and media relay: the realtime transport of Podium."""
