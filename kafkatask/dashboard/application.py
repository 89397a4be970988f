"""create_app: the dashboard's Starlette application, its routes and middleware in one place."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kafkatask.dashboard import api, pages
from kafkatask.dashboard.auth import AuthMiddleware
from kafkatask.dashboard.metrics import dashboard_registry
from kafkatask.dashboard.services import Dashboard
from kafkatask.dashboard.templating import PageRenderer
from kafkatask.web.security_headers import PAGE_HEADERS, SecurityHeaders

STATIC = Path(__file__).parent / "static"
_SECURITY_HEADERS = {
    # Only the dashboard's own script and style sheet run: an injected <script> would not.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    **PAGE_HEADERS,
}


def create_app(dashboard: Dashboard, *, background: bool = True) -> Starlette:
    """The ASGI app for `dashboard`; with `background`, its lifespan runs the readers."""
    registry = dashboard_registry(dashboard)

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    async def healthz(request: Request) -> Response:
        return PlainTextResponse("ok")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if background:
            dashboard.start()
        try:
            yield
        finally:
            if background:
                dashboard.stop()

    app = Starlette(
        routes=[
            *pages.routes(),
            *api.routes(),
            Route("/metrics", metrics),
            Route("/healthz", healthz),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders, headers=_SECURITY_HEADERS),
            Middleware(AuthMiddleware, credentials=dashboard.credentials),
        ],
        lifespan=lifespan,
    )
    app.state.dashboard = dashboard
    app.state.pages = PageRenderer(dashboard.csrf, dashboard.refresh, dashboard.namespace)
    return app
