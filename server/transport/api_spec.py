"""One declaration per API endpoint, read by both the router and the OpenAPI description (``/api/v1/openapi.json``),
so the document cannot drift from the routes."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

Handler = Callable[[Request], Awaitable[Response]]
PUBLIC, READ, WRITE = "public", "read", "write"
_PARAMETER = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # Starlette's, with converters: /api/v1/events/{slug}/registrations/{registration_id:id}
    name: str
    handler: Handler
    summary: str
    access: str = PUBLIC  # public, or an API token that may read, or read and write
    body: dict[str, Any] | None = None  # JSON Schema of the request body
    response: dict[str, Any] = field(default_factory=dict)  # JSON Schema of the answer
    status: int = 200
    query: tuple[tuple[str, str], ...] = ()  # (name, description)


def routes_of(endpoints: Sequence[Endpoint]) -> list[BaseRoute]:
    return [Route(e.path, e.handler, methods=[e.method], name=e.name) for e in endpoints]


def openapi_path(path: str) -> str:
    return _PARAMETER.sub(r"{\1}", path)


ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "status": {"type": "integer"}},
    "required": ["error", "status"],
}
_ERRORS = {
    "400": "The request or its JSON is not valid; the message names the field",
    "401": "No API token, or one that is unknown, revoked or expired",
    "403": "A read token asked to write",
    "404": "No such event or object (another event's token or object reads the same)",
    "409": "The change clashes with the programme or a registration",
    "429": "Too many requests with this token; wait a minute",
}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer" if name.endswith("_id") else "string"},
        }
        for name in _PARAMETER.findall(endpoint.path)
    ]
    parameters += [
        {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
        for name, text in endpoint.query
    ]
    error = {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    codes = ["400", "404"] if endpoint.access == PUBLIC else ["400", "401", "404", "429"]
    if endpoint.access == WRITE:
        codes += ["403", "409"]
    responses: dict[str, Any] = {
        str(endpoint.status): {"description": "Done, nothing to say"}
        if endpoint.status == 204
        else {
            "description": "Success",
            "content": {"application/json": {"schema": endpoint.response or {"type": "object"}}},
        },
        **{code: {**error, "description": _ERRORS[code]} for code in sorted(codes)},
    }
    operation: dict[str, Any] = {
        "operationId": endpoint.name,
        "summary": endpoint.summary,
        "parameters": parameters,
        "responses": responses,
        "security": [] if endpoint.access == PUBLIC else [{"token": []}],
    }
    if endpoint.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": endpoint.body}}}
    return operation


def openapi_document(endpoints: Sequence[Endpoint], *, server: str, schemas: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(openapi_path(endpoint.path), {})[endpoint.method.lower()] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Podium API",
            "version": "1",
            "description": "Events, sessions and people (public reads); with an event's API token, registrations and "
            "writes to sessions, people and registrations. Tokens are made on the event's back office, "
            "Import and API → API tokens, and sent as Authorization: Bearer <token>.",
        },
        "servers": [{"url": server}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR, **schemas},
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer", "description": "An event's API token"}},
        },
    }
