"""CsrfGuard: actions (replay, purge, revoke) only from the dashboard's own pages.

Double-submit: every page sets a random token in a `SameSite=Strict`, HttpOnly cookie and
puts the same token in its forms; a POST must carry it back in the form field `csrf_token` (or
the header `X-CSRF-Token`), equal to the cookie. Another site can make a browser send the
cookie (and cached basic credentials), but cannot read the token to put it in the form. A
request authenticated with a bearer token is exempt: browsers never attach one on their own,
and a cross-site page cannot set an Authorization header without a CORS preflight, which the
dashboard does not grant. A cross-origin `Origin` header is refused outright.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from kafkatask.dashboard.auth import Identity

COOKIE = "kt_csrf"
FIELD = "csrf_token"
HEADER = "x-csrf-token"
_TOKEN_LENGTH = 43
"""len(secrets.token_urlsafe(32))."""


class CsrfGuard:
    def token(self, request: Request) -> str:
        """The request's token (from its cookie), or a new one to set with `remember`."""
        current = request.cookies.get(COOKIE, "")
        if len(current) == _TOKEN_LENGTH and current.replace("-", "").replace("_", "").isalnum():
            return current
        return secrets.token_urlsafe(32)

    def remember(self, request: Request, response: Response, token: str) -> None:
        if request.cookies.get(COOKIE) != token:
            response.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")

    def check(self, request: Request, submitted: str | None) -> None:
        """Raise 403 unless this POST may act (see the module docstring)."""
        origin = request.headers.get("origin")
        if origin is not None and not _same_origin(origin, request):
            raise HTTPException(403, f"cross-origin request from {origin} refused")
        identity: Identity | None = getattr(request.state, "identity", None)
        if identity is not None and identity.scheme == "bearer":
            return
        cookie = request.cookies.get(COOKIE)
        given = submitted or request.headers.get(HEADER)
        if not cookie or not given or not secrets.compare_digest(cookie.encode(), given.encode()):
            raise HTTPException(
                403, "missing or wrong CSRF token: reload the page and submit the form again"
            )


def _same_origin(origin: str, request: Request) -> bool:
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "") and parts.scheme in ("http", "https")
