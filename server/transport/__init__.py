"""HTTP transport: decode the request, call one service, render the result."""
