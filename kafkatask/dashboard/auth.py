"""Credentials and AuthMiddleware: who may see the dashboard.

Two kinds of credentials, from settings: a bearer token (`dashboard_token`), and a user name
with a password (`dashboard_username`, `dashboard_password`). API clients send
`Authorization: Bearer <token>`; browsers cannot send a bearer token on their own, so they may
also answer the HTTP basic prompt with any user name and the token as the password. With no
credentials configured every request passes, but only when it names a loopback host (and the
command line refuses to listen on anything but loopback, see `is_loopback`): a web page whose
own host name has been pointed at 127.0.0.1 (DNS rebinding) is refused by its Host header.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from kafkatask.exceptions import ConfigurationError
from kafkatask.settings import Settings
from kafkatask.web.credentials import Presented, presented, same_secret
from kafkatask.web.hosts import is_loopback, names_loopback

__all__ = ["OPEN_PATHS", "AuthMiddleware", "Credentials", "Identity", "is_loopback"]

OPEN_PATHS = ("/healthz", "/static/")
"""Paths served without credentials: a liveness probe and the style sheet and script."""


@dataclass(frozen=True)
class Identity:
    """Who made a request: how they authenticated, and a name for audit records."""

    scheme: str
    """"bearer", "basic", or "none" when no credentials are configured."""
    name: str


@dataclass(frozen=True)
class Credentials:
    token: str | None = None
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials:
        token, password = settings.dashboard_token, settings.dashboard_password
        if (settings.dashboard_username is None) != (password is None):
            raise ConfigurationError(
                "set both dashboard_username and dashboard_password "
                "(KAFKATASK_DASHBOARD_USERNAME, KAFKATASK_DASHBOARD_PASSWORD), or neither"
            )
        return cls(
            token=token.get_secret_value() if token else None,
            username=settings.dashboard_username,
            password=password.get_secret_value() if password else None,
        )

    @property
    def configured(self) -> bool:
        return bool(self.token) or bool(self.username and self.password)

    def identify(self, authorization: str | None) -> Identity | None:
        """The caller of a request with this Authorization header, None when refused."""
        if not self.configured:
            return Identity("none", "anonymous")
        given = presented(authorization)
        if given is None:
            return None
        if given.scheme == "bearer":
            token_matches = bool(self.token) and same_secret(given.secret, self.token or "")
            return Identity("bearer", "token") if token_matches else None
        return self._basic(given)

    def _basic(self, given: Presented) -> Identity | None:
        if self.token and same_secret(given.secret, self.token):
            return Identity("basic", given.user or "token")
        if self.username and self.password:
            # Both compared, always, so the time taken does not say which one was wrong.
            right_user = same_secret(given.user, self.username)
            if same_secret(given.secret, self.password) and right_user:
                return Identity("basic", given.user)
        return None


class AuthMiddleware:
    """Refuses HTTP requests without valid credentials (401 with a basic-auth prompt)."""

    def __init__(self, app: ASGIApp, credentials: Credentials) -> None:
        self.app = app
        self.credentials = credentials

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not self.credentials.configured and not names_loopback(headers.get("host", "")):
            refusal = PlainTextResponse(
                "this dashboard has no credentials, so it answers only requests addressed to "
                "localhost or a loopback address; open it as http://127.0.0.1:<port>/, or set "
                "KAFKATASK_DASHBOARD_TOKEN",
                status_code=403,
            )
            await refusal(scope, receive, send)
            return
        identity = self.credentials.identify(headers.get("authorization"))
        if identity is None and not scope["path"].startswith(OPEN_PATHS):
            refusal = PlainTextResponse(
                "authentication required",
                status_code=401,
                headers={"WWW-Authenticate": 'Basic realm="kafkatask dashboard", charset="UTF-8"'},
            )
            await refusal(scope, receive, send)
            return
        scope.setdefault("state", {})["identity"] = identity or Identity("none", "anonymous")
        await self.app(scope, receive, send)
