"""WHIP (RFC 9725): an encoder publishes a session's stream with one HTTP POST of its SDP offer; an interpreter
publishes an interpretation channel ("12_ja") the same way, with an interpreter pass for that channel."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from realtime.media.channels import channel_language
from realtime.media.ice import ice_link_headers
from realtime.media.offers import read_offer
from realtime.media.signalling import (
    SignallingError,
    bearer_token,
    check_rate,
    client_ip,
    cors_headers,
    invalid_token,
    media_context,
    preflight,
    require_bearer,
    sdp_answer,
    sdp_body,
    session_key,
    signalling,
)

REALM = "podium-whip"


async def _publisher(request: Request, key: str, token: str) -> str | None:
    """Who publishes: "" for the session's encoder, the interpreter's account for a channel; None when refused."""
    policy = media_context(request).policy
    if channel_language(key) is not None:
        return await policy.admit_interpreter(key, token)  # a floor's publish token never opens a channel
    return "" if await policy.verify_publish(key, token) else None


async def _authorise(request: Request, key: str) -> str:
    token = require_bearer(request, REALM)
    if not await media_context(request).policy.session_exists(key):
        raise SignallingError(404, "no such session")
    publisher = await _publisher(request, key, token)
    if publisher is None:
        raise invalid_token(REALM)
    return publisher


def _ice_user(key: str) -> str:
    """Whom the TURN credentials handed to this session's encoder name."""
    return f"publish-{key}"


@signalling
async def options(request: Request) -> Response:
    """OPTIONS: what the endpoint allows, and its ICE servers; TURN credentials only with a valid publish token."""
    key = session_key(request)
    token = bearer_token(request)
    user = None
    if token is not None:
        await check_rate(request)
        if await _publisher(request, key, token) is not None:
            user = _ice_user(key)
    return preflight(request, "POST, OPTIONS", ice_link_headers(media_context(request).settings, user))


@signalling
async def publish(request: Request) -> Response:
    """POST the publisher's offer: 201 with the answer and the resource to DELETE when done."""
    key = session_key(request)
    await check_rate(request)
    publisher = await _authorise(request, key)
    offer = read_offer(await sdp_body(request), role="publish")
    context = media_context(request)
    resource_id, answer = await context.relay.publish(
        key, offer, client_ip=client_ip(request), account=publisher or None
    )
    location = request.url_for("whip_resource", session_key=key, resource_id=resource_id).path
    return sdp_answer(request, answer, location, ice_link_headers(context.settings, _ice_user(key)))


@signalling
async def resource(request: Request) -> Response:
    """DELETE ends the publishing; PATCH is refused, as the relay's answer carries every candidate at once."""
    key = session_key(request)
    if request.method == "OPTIONS":
        return preflight(request, "DELETE, PATCH, OPTIONS")
    if request.method == "PATCH":
        raise SignallingError(405, "trickle ICE and ICE restarts are not supported", {"Allow": "DELETE, OPTIONS"})
    publisher = await _authorise(request, key)
    resource_id = str(request.path_params["resource_id"])
    if not await media_context(request).relay.unpublish(key, resource_id, account=publisher or None):
        raise SignallingError(404, "no such publishing session")
    return Response(status_code=200, headers=cors_headers(request))


routes = [
    Route("/whip/{session_key}", publish, methods=["POST"], name="whip"),
    Route("/whip/{session_key}", options, methods=["OPTIONS"], name="whip"),
    Route("/whip/{session_key}/{resource_id}", resource, methods=["DELETE", "PATCH", "OPTIONS"], name="whip_resource"),
]
