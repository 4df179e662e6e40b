"""What WHIP and WHEP share: reading the SDP body and bearer token, limits, CORS, and errors as HTTP answers."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from realtime.media.channels import malformed_channel_key
from realtime.media.config import RelaySettings
from realtime.media.offers import OfferError
from realtime.media.policy import SESSION_KEY, RelayPolicy
from realtime.media.relay import Relay, RelayError
from server.rate_limits import PerMinute, installation_buckets

SDP_TYPE = "application/sdp"


class SignallingError(Exception):
    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})


@dataclass
class MediaContext:
    """What the endpoints need, kept on ``app.state.media``."""

    relay: Relay
    policy: RelayPolicy
    settings: RelaySettings
    limiter: PerMinute = field(init=False)  # signalling requests per address, over every relay process

    def __post_init__(self) -> None:
        buckets = installation_buckets(self.settings.redis_url, database_url=self.settings.database_url)
        self.limiter = PerMinute(buckets, "signalling", self.settings.signalling_per_ip_per_minute)


def media_context(request: Request) -> MediaContext:
    context: MediaContext = request.app.state.media
    return context


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def session_key(request: Request) -> str:
    key = str(request.path_params["session_key"])
    if not SESSION_KEY.fullmatch(key):
        raise SignallingError(404, "no such session")
    if malformed_channel_key(key):
        raise SignallingError(404, "no such channel: a channel is named <session>_<language code>")
    return key


async def check_rate(request: Request) -> None:
    if not await media_context(request).limiter.allow(client_ip(request)):
        raise SignallingError(429, "too many signalling requests; slow down", {"Retry-After": "10"})


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def require_bearer(request: Request, realm: str) -> str:
    token = bearer_token(request)
    if token is None:
        raise SignallingError(401, "a bearer token is required", {"WWW-Authenticate": f'Bearer realm="{realm}"'})
    return token


def invalid_token(realm: str) -> SignallingError:
    challenge = f'Bearer realm="{realm}", error="invalid_token"'
    return SignallingError(401, "the bearer token is not valid for this session", {"WWW-Authenticate": challenge})


async def sdp_body(request: Request) -> str:
    """The request's SDP offer: 415 for another media type, 413 when too large, 400 when not UTF-8."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != SDP_TYPE:
        raise SignallingError(415, "the offer must be sent as application/sdp", {"Accept-Post": SDP_TYPE})
    limit = media_context(request).settings.max_sdp_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise SignallingError(413, f"the offer is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise SignallingError(413, f"the offer is larger than {limit} bytes")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise SignallingError(400, "the offer is not UTF-8 text") from None


def cors_headers(request: Request) -> dict[str, str]:
    origin = request.headers.get("origin")
    allowed = media_context(request).settings.cors_origins
    if origin is None or (origin not in allowed and "*" not in allowed):
        return {}
    return {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Expose-Headers": "Location, Link, Accept-Post",
        "Vary": "Origin",
    }


def preflight(request: Request, methods: str, links: Sequence[str] = ()) -> Response:
    """OPTIONS: 200 with what the endpoint accepts (RFC 9725 section 4.1), ICE server links, and CORS preflight."""
    headers = {"Allow": methods, "Accept-Post": SDP_TYPE, **cors_headers(request)}
    if "Access-Control-Allow-Origin" in headers:
        headers["Access-Control-Allow-Methods"] = methods
        headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        headers["Access-Control-Max-Age"] = "600"
    response = Response(status_code=200, headers=headers)
    for link in links:
        response.headers.append("Link", link)
    return response


def sdp_answer(request: Request, answer: str, location: str, links: list[str]) -> Response:
    headers = {"Location": location, **cors_headers(request)}
    response = Response(answer, status_code=201, media_type=SDP_TYPE, headers=headers)
    for link in links:
        response.headers.append("Link", link)
    return response


Endpoint = Callable[[Request], Awaitable[Response]]


def signalling(endpoint: Endpoint) -> Endpoint:
    """Turn refusals into plain-text answers with the right status; nothing a client sends escapes as a 500."""

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        try:
            return await endpoint(request)
        except SignallingError as exc:
            status, detail, headers = exc.status, exc.detail, exc.headers
        except OfferError as exc:
            status, detail, headers = 400, str(exc), {}
        except RelayError as exc:
            status, detail, headers = exc.status, str(exc), {}
            if status in (429, 503):
                headers["Retry-After"] = "10"
        return PlainTextResponse(detail + "\n", status_code=status, headers={**headers, **cors_headers(request)})

    return wrapper
