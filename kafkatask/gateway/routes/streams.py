"""Streams over Server-Sent Events: LangServe's `/stream` and `/stream_events`, and re-attaching.

`POST /NAME/stream` sends the task and streams it: `metadata` (run and task id), then `data`
per chunk, then `end`, or `error`; `restart` when the task starts over (streams.py). With
`?detach=true` it answers 202 with the task id at once, for clients that follow the stream with
`GET /NAME/stream/{task_id}` (a browser's EventSource). That re-attaches to a running or
finished stream, through any gateway process: from the first chunk, or right after the event
whose id it is given (`Last-Event-ID`, as EventSource sends on reconnecting, or `?after=`).

A client that goes away does not cancel the task, unless `?cancel_on_disconnect=true`: then
the task is revoked once the last client of this gateway process following it has gone.
`Kafkatask-Restarts: splice` on a request reads a restarted task by the Python client's rule
(the new attempt continues after the last chunk sent, with no `restart` event) instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kafkatask.gateway.bodies import InvokeBody, StreamEventsBody, read_body
from kafkatask.gateway.errors import GatewayError
from kafkatask.gateway.ids import event_id
from kafkatask.gateway.services import Gateway
from kafkatask.gateway.sse import EventStreamResponse, frame
from kafkatask.gateway.streams import StreamEvent
from kafkatask.gateway.values import dumps
from kafkatask.remote_runnable import EventFilter

TASK_ID_HEADER = "Kafkatask-Task-Id"
RESTARTS_HEADER = "kafkatask-restarts"


def routes() -> list[BaseRoute]:
    return [
        Route("/{task}/stream", stream, methods=["POST"], name="stream"),
        Route("/{task}/stream/{task_id}", reattach, methods=["GET"], name="stream_reattach"),
        Route("/{task}/stream_events", stream_events_route, methods=["POST"], name="stream_events"),
    ]


@dataclass(frozen=True)
class _Options:
    """What a stream request asks for besides its body: read before anything is sent."""

    report_restarts: bool
    detach: bool
    cancel_on_disconnect: bool

    @classmethod
    def of(cls, request: Request) -> _Options:
        """400 for a flag or a header that says neither yes nor no."""
        mode = request.headers.get(RESTARTS_HEADER, "report").strip().lower()
        if mode not in ("report", "splice"):
            raise GatewayError(
                400, f"{RESTARTS_HEADER}: expected 'report' or 'splice', not {mode!r}"
            )
        return cls(
            mode == "report", _flag(request, "detach"), _flag(request, "cancel_on_disconnect")
        )


async def stream(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    caller = gateway.caller(request)
    served = gateway.served(caller, request.path_params["task"], "stream")
    options = _Options.of(request)
    body = await read_body(request, InvokeBody, gateway.settings.body_limit)
    value, config = served.schemas.check_call(body.input, body.config)
    handle = await gateway.sender.send(served, value, config, caller=caller.name, mode="stream")
    run_id = str(config["run_id"])
    if options.detach:
        url = request.url_for("stream_reattach", task=served.path, task_id=handle.id).path
        answer = {"task_id": handle.id, "run_id": run_id, "stream_url": url}
        return JSONResponse(answer, status_code=202, headers={"Location": url})
    chunks = handle.astream(
        timeout=gateway.settings.timeout, report_restarts=options.report_restarts
    )
    metadata = StreamEvent(
        "metadata", {"run_id": run_id, "task_id": handle.id}, event_id(handle.cursor)
    )
    events = _after(metadata, gateway.events(served, handle.id, chunks))
    return _respond(gateway, options, handle.id, events)


async def stream_events_route(request: Request) -> Response:
    """LangServe's `/stream_events`: the events (v2) of the Runnable as it runs on the worker."""
    gateway: Gateway = request.app.state.gateway
    caller = gateway.caller(request)
    served = gateway.served(caller, request.path_params["task"], "stream")
    options = _Options.of(request)
    body = await read_body(request, StreamEventsBody, gateway.settings.body_limit)
    value, config = served.schemas.check_call(body.input, body.config)
    handle = await gateway.sender.send(served, value, config, caller=caller.name, mode="events")
    chunks = handle.astream(
        timeout=gateway.settings.timeout, report_restarts=options.report_restarts
    )
    events = gateway.events(served, handle.id, chunks, EventFilter(*body.filters()))
    return _respond(gateway, options, handle.id, events)


async def reattach(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    served = gateway.served(gateway.caller(request), request.path_params["task"], "stream")
    options = _Options.of(request)
    task_id = request.path_params["task_id"]
    last = request.headers.get("last-event-id") or request.query_params.get("after")
    cursor = gateway.stream_cursor(task_id, last)
    chunks = gateway.app.astream(
        cursor, timeout=gateway.settings.timeout, report_restarts=options.report_restarts
    )
    return _respond(gateway, options, task_id, gateway.events(served, task_id, chunks))


def _respond(
    gateway: Gateway,
    options: _Options,
    task_id: str,
    events: AsyncGenerator[StreamEvent, None],
) -> EventStreamResponse:
    body = _framed(gateway, task_id, events, cancel_on_disconnect=options.cancel_on_disconnect)
    return EventStreamResponse(
        body, keep_alive=gateway.settings.keep_alive, headers={TASK_ID_HEADER: task_id}
    )


async def _framed(
    gateway: Gateway,
    task_id: str,
    events: AsyncGenerator[StreamEvent, None],
    *,
    cancel_on_disconnect: bool,
) -> AsyncGenerator[bytes, None]:
    """The events as SSE, while this client counts as one of the stream's followers."""
    gateway.followers.join(task_id, cancel_on_disconnect=cancel_on_disconnect)
    finished = False
    try:
        async with contextlib.aclosing(events):
            async for event in events:
                yield frame(event.name, dumps(event.data), event.id)
        finished = True
    finally:
        if gateway.followers.leave(task_id, finished=finished):
            gateway.revoke_soon(task_id)


async def _after(
    first: StreamEvent, rest: AsyncGenerator[StreamEvent, None]
) -> AsyncGenerator[StreamEvent, None]:
    async with contextlib.aclosing(rest):  # closed even when the client leaves after `first`
        yield first
        async for event in rest:
            yield event


def _flag(request: Request, name: str) -> bool:
    value = request.query_params.get(name, "false").strip().lower()
    if value not in ("true", "false", "1", "0", "yes", "no"):
        raise GatewayError(400, f"?{name}= takes true or false, not {value!r}")
    return value in ("true", "1", "yes")
