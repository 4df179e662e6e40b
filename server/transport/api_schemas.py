"""The JSON Schemas of the API's inputs and outputs, for its OpenAPI description (``/api/v1/openapi.json``)."""

from __future__ import annotations

from typing import Any

from server.transport import api

REGISTRATION_TEXT = (
    "name",
    "email",
    "country",
    "organisation",
    "job_title",
    "attendance",
    "language",
    "accessibility_needs",
)


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


_TEXT: dict[str, Any] = {"type": "string"}
_SESSION_PROPERTIES: dict[str, Any] = {
    "code": {"type": "string", "pattern": "^[A-Za-z0-9-]{1,64}$"},
    "title": {"type": "string", "maxLength": 300},
    "abstract": {"type": "string", "maxLength": 20000},
    "kind": {"enum": ["plenary", "parallel", "ceremony", "video-address", "exhibition", "break"]},
    "start": {"type": "string", "description": "the event's local time, 2021-10-27T09:30"},
    "end": {"type": "string", "description": "the event's local time, 2021-10-27T10:30"},
    "room": {"type": "string", "description": "a room's slug"},
    "track": {"type": ["string", "null"], "description": "a track's slug"},
    "language": {"type": "string", "description": "one of the event's languages"},
    "speakers": {"type": "array", "items": {"type": "string", "description": "a person's slug"}},
    "translations": {
        "type": "object",
        "description": 'title and abstract in the event\'s other languages: {"ja": {"title": "…"}}',
        "additionalProperties": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "title": {"type": "string", "maxLength": 300},
                "abstract": {"type": "string", "maxLength": 20000},
            },
        },
    },
}
_PERSON_PROPERTIES: dict[str, Any] = {
    "slug": {"type": "string", "pattern": "^[a-z0-9-]{1,64}$"},
    "name": {"type": "string", "maxLength": 200},
    "organisation": {"type": "string", "maxLength": 200},
    "country": {"type": "string", "description": "ISO 3166 two-letter code, or empty"},
    "biography": {"type": "string", "maxLength": 20000},
}
_REGISTRATION_INPUT: dict[str, Any] = {
    **{name: _TEXT for name in REGISTRATION_TEXT},
    "attendance": {"enum": ["onsite", "online"]},
    "listed": {"type": "boolean"},
}
SCHEMAS: dict[str, Any] = {
    **api.SCHEMAS,
    "SessionInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": _SESSION_PROPERTIES,
        "required": ["code", "title", "kind", "start", "end", "room"],
    },
    "SessionChange": {"type": "object", "additionalProperties": False, "properties": _SESSION_PROPERTIES},
    "Person": {"type": "object", "properties": _PERSON_PROPERTIES},
    "PersonInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": _PERSON_PROPERTIES,
        "required": ["slug", "name"],
    },
    "PersonChange": {"type": "object", "additionalProperties": False, "properties": _PERSON_PROPERTIES},
    "Registration": {
        "type": "object",
        "properties": {
            **_REGISTRATION_INPUT,
            "id": {"type": "integer"},
            "status": {"enum": ["unconfirmed", "confirmed", "cancelled"]},
            **{
                name: {"type": ["string", "null"], "format": "date-time"}
                for name in ("created_at", "confirmed_at", "cancelled_at", "checked_in_at")
            },
        },
    },
    "RegistrationInput": {
        "type": "object",
        "additionalProperties": False,
        "properties": _REGISTRATION_INPUT,
        "required": ["name", "email", "country", "attendance"],
    },
    "RegistrationChange": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"attendance": {"enum": ["onsite", "online"]}, "status": {"const": "cancelled"}},
    },
}
