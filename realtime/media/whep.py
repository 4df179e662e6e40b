"""WHEP: a viewer watches a session's stream with one HTTP POST of its receive-only SDP offer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from realtime.media.config import public_path
from realtime.media.ice import ice_link_headers
from realtime.media.offers import read_offer
from realtime.media.policy import Admission, ViewerRequest
from realtime.media.signalling import (
    SignallingError,
    bearer_token,
    check_rate,
    client_ip,
    cors_headers,
    invalid_token,
    media_context,
    preflight,
    sdp_answer,
    sdp_body,
    session_key,
    signalling,
)

REALM = "podium-whep"


def _ice_user(admission: Admission, request: Request) -> str:
    """Whom the TURN credentials handed to a viewer name: the account, or the address of an anonymous one."""
    return f"watch-{admission.account or admission.relay or client_ip(request)}"


@signalling
async def options(request: Request) -> Response:
    """OPTIONS: what the endpoint allows, and its ICE servers; TURN credentials only with a pass to watch."""
    key = session_key(request)
    context = media_context(request)
    user = None
    if bearer_token(request) is not None:
        await check_rate(request)
        admission = await context.policy.admit_viewer(ViewerRequest(key, bearer_token(request), client_ip(request)))
        if admission.authenticated and admission.allowed:
            user = _ice_user(admission, request)
    return preflight(request, "POST, OPTIONS", ice_link_headers(context.settings, user))


@signalling
async def watch(request: Request) -> Response:
    """POST the viewer's offer: 201 with the answer; audio-only viewers simply offer no video."""
    key = session_key(request)
    await check_rate(request)
    context = media_context(request)
    if not await context.policy.session_exists(key):
        raise SignallingError(404, "no such session")
    admission = await context.policy.admit_viewer(ViewerRequest(key, bearer_token(request), client_ip(request)))
    if not admission.authenticated:
        if bearer_token(request) is None:
            raise SignallingError(401, "a bearer token is required", {"WWW-Authenticate": f'Bearer realm="{REALM}"'})
        raise invalid_token(REALM)
    if not admission.allowed:
        raise SignallingError(403, "you may not watch this session")
    offer = read_offer(await sdp_body(request), role="watch")
    resource_id, answer = await context.relay.watch(
        key, offer, client_ip=client_ip(request), account=admission.account, edge=admission.relay
    )
    location = (
        public_path(context.settings) + request.url_for("whep_resource", session_key=key, resource_id=resource_id).path
    )
    return sdp_answer(request, answer, location, ice_link_headers(context.settings, _ice_user(admission, request)))


@signalling
async def resource(request: Request) -> Response:
    """DELETE stops watching; the resource id itself, unguessable, is the viewer's capability."""
    key = session_key(request)
    if request.method == "OPTIONS":
        return preflight(request, "DELETE, PATCH, OPTIONS")
    if request.method == "PATCH":
        raise SignallingError(405, "trickle ICE and ICE restarts are not supported", {"Allow": "DELETE, OPTIONS"})
    if not await media_context(request).relay.leave(key, str(request.path_params["resource_id"])):
        raise SignallingError(404, "no such viewing session")
    return Response(status_code=200, headers=cors_headers(request))


routes = [
    Route("/whep/{session_key}", watch, methods=["POST"], name="whep"),
    Route("/whep/{session_key}", options, methods=["OPTIONS"], name="whep"),
    Route("/whep/{session_key}/{resource_id}", resource, methods=["DELETE", "PATCH", "OPTIONS"], name="whep_resource"),
]
