"""Reading the credentials of an Authorization header, and comparing secrets safely.

API clients send `Authorization: Bearer <secret>`. Browsers cannot send a bearer token on their
own, but they answer a basic-auth prompt, so a secret may also come as the password of
`Authorization: Basic` (the user name is then the caller's to choose).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Presented:
    """The credentials a request presented."""

    scheme: str
    """"bearer" or "basic"."""
    secret: str
    """The bearer token, or the basic password."""
    user: str = ""
    """The basic user name ("" for a bearer token)."""


def presented(authorization: str | None) -> Presented | None:
    """The credentials of an Authorization header; None when it has none we can read."""
    scheme, _, value = (authorization or "").partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Presented("bearer", value)
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, ValueError):  # not base64 (or not ASCII), or not UTF-8
            return None
        user, _, password = decoded.partition(":")
        return Presented("basic", password, user)
    return None


def same_secret(given: str, expected: str) -> bool:
    """`given == expected` in a time that does not depend on where they differ."""
    return secrets.compare_digest(given.encode(), expected.encode())
