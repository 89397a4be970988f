"""A web site with the gateway mounted in it, and a page that streams through it.

`uvicorn examples.gateway.site:site --port 8001`, with a worker of examples.gateway.app, then
open http://127.0.0.1:8001/ and reload the page while the story is told.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount, Route

from examples.gateway.app import app
from kafkatask.gateway import create_app

PAGE = Path(__file__).with_name("page.html")


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE.read_text())


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    yield
    app.close()  # a mounted gateway has no lifespan of its own: the site closes the App


site = Starlette(
    routes=[Route("/", page), Mount("/api", create_app(app))],
    lifespan=lifespan,
)
