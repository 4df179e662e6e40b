"""The baseline: a bare Starlette endpoint, served by uvicorn exactly like Podium."""

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(_request):
    return PlainTextResponse("hello")


app = Starlette(routes=[Route("/", hello)])
