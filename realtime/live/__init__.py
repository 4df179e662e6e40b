"""Live rooms over Socket.IO: the transport of server.live. The protocol is in PROTOCOL.md."""
