"""GatewayAuth: who is calling, before any route runs; Caller: what they may do.

With API keys configured, every request but the health check presents one (`Authorization:
Bearer <key>`, or the key as the password of HTTP basic, which browsers can send): none, or an
unknown one, is answered 401 with a challenge; a key over its request rate is answered 429
with `Retry-After`. Which tasks a key may call, and with which right, is checked by the routes
(403), since only they know the task. Without keys every caller may do everything, so the
gateway answers only requests addressed to a loopback host (see kafkatask/web/hosts.py), and
its command refuses to listen anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from kafkatask.gateway.errors import GatewayError, too_many_requests, unauthenticated
from kafkatask.gateway.keys import ApiKey, KeyRing, Right
from kafkatask.gateway.quotas import Quotas
from kafkatask.web.credentials import presented
from kafkatask.web.hosts import names_loopback

OPEN_PATHS = frozenset({"/healthz"})
"""Paths served to anyone: the liveness probe."""


@dataclass(frozen=True)
class Caller:
    """Who is calling: the API key they presented, or anyone when no keys are configured."""

    key: ApiKey | None

    @property
    def name(self) -> str | None:
        """The key's name (never the key): what the task's `kt-caller` header says."""
        return self.key.name if self.key is not None else None

    def may_call(self, task: str) -> bool:
        return self.key is None or self.key.may_call(task)

    def may(self, right: Right) -> bool:
        return self.key is None or self.key.may(right)


ANYONE = Caller(None)


class GatewayAuth:
    """Puts the request's Caller in `scope["state"]["caller"]`, or answers the request."""

    def __init__(self, app: ASGIApp, keys: KeyRing, quotas: Quotas) -> None:
        self.app = app
        self.keys = keys
        self.quotas = quotas

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or route_path(scope) in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        try:
            caller = self.identify(Headers(scope=scope))
        except GatewayError as refusal:
            await refuse(scope, receive, send, refusal)
            return
        scope.setdefault("state", {})["caller"] = caller
        await self.app(scope, receive, send)

    def identify(self, headers: Headers) -> Caller:
        """The caller of a request with these headers; raises the refusal otherwise."""
        if not self.keys.configured:
            if not names_loopback(headers.get("host", "")):
                raise GatewayError(
                    403,
                    "this gateway has no API keys, so it answers only requests addressed to "
                    "localhost or a loopback address; configure keys to serve other hosts",
                )
            return ANYONE
        given = presented(headers.get("authorization"))
        key = self.keys.identify(given.secret) if given is not None else None
        if key is None:
            raise unauthenticated()
        wait = self.quotas.take(key)
        if wait:
            raise too_many_requests(key.name, wait)
        return Caller(key)


def route_path(scope: Scope) -> str:
    """The request's path inside this app, also when it is mounted under a prefix."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def refuse(scope: Scope, receive: Receive, send: Send, refusal: GatewayError) -> None:
    """Answer with `refusal`: an HTTP response, or for a WebSocket the same response as the
    handshake's answer (a plain close, code 1008, where the server cannot send one)."""
    if scope["type"] != "websocket":
        await refusal.response()(scope, receive, send)
        return
    websocket = WebSocket(scope, receive, send)
    if "websocket.http.response" in scope.get("extensions", {}):
        await websocket.send_denial_response(refusal.response())
    else:
        await websocket.close(code=1008, reason=refusal.message[:120])
