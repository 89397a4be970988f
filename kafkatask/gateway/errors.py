"""GatewayError: every answer but success, as a status and one JSON shape.

The body is LangServe's error shape, `{"status_code": ..., "message": ...}` (what its SSE
`error` event carries), with what else helps the caller: `type` (the error's type, for a task
that failed), `task_id` (to re-attach to a task that did not answer in time), `errors` (the
fields that failed validation), `tasks` (the tasks a caller may call, on a 404). The SSE
`error` event and the WebSocket's `error` message carry the same map.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from kafkatask.exceptions import (
    BrokerUnavailableError,
    EncodeError,
    MessageTooLargeError,
    PublishError,
    RemoteTaskError,
    TaskTimeoutError,
)

REALM = 'Bearer realm="kafkatask gateway", Basic realm="kafkatask gateway", charset="UTF-8"'
"""The 401 challenge: API clients send a bearer key; a browser answers the basic prompt with
the key as the password."""


class GatewayError(Exception):
    """An answer with an HTTP status and a JSON body; raise it anywhere in a route."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"status_code": self.status, "message": self.message, **self.details}

    def response(self) -> Response:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def unauthenticated() -> GatewayError:
    return GatewayError(
        401,
        "this gateway needs an API key: send 'Authorization: Bearer <key>'",
        {"WWW-Authenticate": REALM},
    )


def too_many_requests(name: str, wait: float) -> GatewayError:
    seconds = max(1, math.ceil(wait))
    return GatewayError(
        429,
        f"API key {name!r} is over its request rate; retry in {wait:.2f}s",
        {"Retry-After": str(seconds)},
        retry_after=round(wait, 3),
    )


def unknown_task(path: str, callable_paths: Iterable[str] | None) -> GatewayError:
    """404; `callable_paths` (the tasks the caller's key may call) are listed when given."""
    if callable_paths is None:
        return GatewayError(404, f"no task is served at /{path}")
    return GatewayError(404, f"no task is served at /{path}", tasks=sorted(callable_paths))


def invalid(message: str, error: ValidationError, where: str) -> GatewayError:
    """422 listing each field that failed (`where` prefixes their names: "input", "inputs.2")."""
    fields = [
        {
            "field": ".".join([where, *(str(part) for part in problem["loc"])]).strip("."),
            "message": problem["msg"],
            "type": problem["type"],
        }
        for problem in error.errors(include_url=False, include_input=False)
    ]
    return GatewayError(422, message, errors=fields)


REFUSED_INPUT = (ValidationError, TypeError, EncodeError, MessageTooLargeError)
"""What sending an input raises when the input, not the broker, is the problem."""


def refused_input(error: Exception, where: str) -> GatewayError:
    """The answer to an input that could not be sent: it does not fit, bind, encode or fit
    in a message (one of REFUSED_INPUT)."""
    if isinstance(error, ValidationError):
        return invalid("the input does not fit the task's input schema", error, where)
    if isinstance(error, MessageTooLargeError):
        return GatewayError(413, str(error))
    return GatewayError(422, str(error), errors=[{"field": where, "message": str(error)}])


def failure(error: BaseException, task_id: str | None, *, tracebacks: bool) -> GatewayError:
    """The answer for a task that did not succeed (or was not answered, or not sent)."""
    ids: dict[str, Any] = {} if task_id is None else {"task_id": task_id}
    if isinstance(error, TaskTimeoutError):
        return GatewayError(504, str(error), **ids)
    if isinstance(error, BrokerUnavailableError | PublishError):
        return GatewayError(503, str(error), **ids)
    kind, text = error_type(error), error_text(error)
    if tracebacks:
        ids["traceback"] = getattr(error, "remote_traceback", "") or ""
    return GatewayError(500, f"{kind}: {text}", type=kind, **ids)


def error_type(error: BaseException) -> str:
    """The remote error's type as the worker named it, module-qualified unless a builtin."""
    if isinstance(error, RemoteTaskError):
        return error.remote_type
    kind = type(error)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def error_text(error: BaseException) -> str:
    if isinstance(error, RemoteTaskError):
        return str(error.args[0]) if error.args else ""
    return str(error)


async def answer_gateway_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, GatewayError)
    return error.response()


async def answer_unexpected(request: Request, error: Exception) -> Response:
    """A bug of the gateway's: the same JSON shape, saying nothing of the error (which the
    server logs with its traceback)."""
    return GatewayError(500, f"the gateway failed ({type(error).__name__}); see its log").response()


async def answer_http_error(request: Request, error: Exception) -> Response:
    """Starlette's own errors (an unknown path, a wrong method) in the same JSON shape."""
    status = getattr(error, "status_code", 500)
    detail = getattr(error, "detail", None) or "error"
    headers = getattr(error, "headers", None)
    return GatewayError(status, str(detail), headers).response()
