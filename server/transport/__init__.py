"""HTTP transport: decode the request, call one service, render the result."""

from server.transport import path_ids  # noqa: F401 (registers the {name:id} converter before routes compile)
