"""create_app: the gateway's Starlette application, its routes and middleware in one place."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from kafkatask.app import App
from kafkatask.gateway.auth import GatewayAuth
from kafkatask.gateway.errors import (
    GatewayError,
    answer_gateway_error,
    answer_http_error,
    answer_unexpected,
)
from kafkatask.gateway.routes import pages, runs, schemas, streams, websocket
from kafkatask.gateway.services import Gateway
from kafkatask.gateway.settings import GatewaySettings
from kafkatask.web.security_headers import PAGE_HEADERS, SecurityHeaders

_log = logging.getLogger("kafkatask.gateway")
_SECURITY_HEADERS = {
    # The API page has no script at all, and its style sheet is the gateway's own.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
        "form-action 'none'"
    ),
    **PAGE_HEADERS,
}


def create_app(
    app: App,
    *,
    expose: Iterable[str] | None = None,
    settings: GatewaySettings | None = None,
) -> Starlette:
    """The gateway for `app`'s tasks, as an ASGI app to serve or to mount in your own.

    Args:
        app: the App whose tasks to serve; tasks are sent through its client, so its settings
            name the broker and the namespace.
        expose: names of the tasks to serve (default: every task registered on `app`).
        settings: the gateway's own settings (default: from `KAFKATASK_GATEWAY_*`).

    Raises:
        ConfigurationError: a task in `expose` is not registered, two tasks would share a
            path, or the API keys cannot be read.
    """
    gateway = Gateway(app, expose=expose, settings=settings)
    if not gateway.keys.configured:
        _log.warning(
            "no API keys configured: every caller may call every task, so the gateway "
            "answers only requests addressed to a loopback host"
        )

    starlette = Starlette(
        # The gateway's own pages first: a task may be called "docs" (its routes are /docs/...).
        routes=[
            *pages.routes(),
            *runs.routes(),
            *streams.routes(),
            *schemas.routes(),
            *websocket.routes(),
        ],
        middleware=[
            Middleware(SecurityHeaders, headers=_SECURITY_HEADERS),
            Middleware(GatewayAuth, keys=gateway.keys, quotas=gateway.quotas),
        ],
        exception_handlers={
            GatewayError: answer_gateway_error,
            HTTPException: answer_http_error,
            Exception: answer_unexpected,
        },
        lifespan=_closing(gateway),
    )
    starlette.state.gateway = gateway
    return starlette


def _closing(gateway: Gateway) -> Callable[[Starlette], AbstractAsyncContextManager[None]]:
    """The lifespan: the gateway closes the App's client when the server stops.

    (A mounted app gets no lifespan of its own: then the App is the host's to close.)
    """

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await gateway.close()

    return lifespan
