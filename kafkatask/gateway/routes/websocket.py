"""`/NAME/ws`: streams over a WebSocket, for chat-like clients (docs/gateway.md, "WebSocket").

The client sends JSON text messages, each with an `id` of its choosing that the gateway's
answers to it carry:

- `{"type": "stream", "id": ..., "input": ..., "config": {...}}` sends the task and streams it;
- `{"type": "resume", "id": ..., "task_id": ..., "after": <event id>}` follows a stream again
  after a reconnect (from its first chunk without `after`), through any gateway process;
- `{"type": "cancel", "task_id": ...}` revokes a task this connection started.

Every answer is `{"type", "id", "task_id", "event_id", "data"}`: the stream events of SSE
(`metadata`, `data`, `restart`, `end`, `error`, streams.py) with the same ids and payloads; an
`error` for a message that started nothing has no `task_id`. Streams of one connection run
side by side. Closing the connection cancels no task, unless its stream message asked
(`"cancel_on_disconnect": true`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import anyio
from anyio.abc import TaskGroup
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from kafkatask.gateway.auth import Caller, refuse
from kafkatask.gateway.bodies import RunConfig
from kafkatask.gateway.errors import GatewayError, invalid, too_many_requests
from kafkatask.gateway.ids import event_id
from kafkatask.gateway.served import ServedTask
from kafkatask.gateway.services import Gateway
from kafkatask.gateway.streams import StreamEvent
from kafkatask.streaming import AsyncChunkStream


def routes() -> list[BaseRoute]:
    return [WebSocketRoute("/{task}/ws", websocket_endpoint, name="ws")]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    """The client's name for this request; answers to it carry it."""


class StreamMessage(_Message):
    type: Literal["stream"]
    input: Any
    config: RunConfig = Field(default_factory=RunConfig)
    cancel_on_disconnect: bool = False


class ResumeMessage(_Message):
    type: Literal["resume"]
    task_id: str
    after: str | None = None
    cancel_on_disconnect: bool = False


class CancelMessage(_Message):
    type: Literal["cancel"]
    task_id: str


ClientMessage = TypeAdapter[StreamMessage | ResumeMessage | CancelMessage](
    Annotated[StreamMessage | ResumeMessage | CancelMessage, Field(discriminator="type")]
)


async def websocket_endpoint(websocket: WebSocket) -> None:
    gateway: Gateway = websocket.app.state.gateway
    caller = gateway.caller(websocket)
    try:
        served = gateway.served(caller, websocket.path_params["task"], "stream")
        _check_origin(websocket, gateway.settings.allowed_origins)
    except GatewayError as refusal:
        await refuse(websocket.scope, websocket.receive, websocket.send, refusal)
        return
    await websocket.accept()
    await StreamSession(gateway, served, caller, websocket).run()


def _check_origin(websocket: WebSocket, allowed: tuple[str, ...]) -> None:
    """Refuse a page of another site: browsers let any page open a WebSocket anywhere."""
    origin = websocket.headers.get("origin")
    if origin is None or origin in allowed:
        return  # not a browser, or a site allowed to
    if urlsplit(origin).netloc != websocket.headers.get("host"):
        raise GatewayError(
            403, f"pages of {origin} may not open this WebSocket (see allowed_origins)"
        )


class StreamSession:
    """One WebSocket connection: its messages in, the events of its streams out."""

    def __init__(
        self, gateway: Gateway, served: ServedTask, caller: Caller, websocket: WebSocket
    ) -> None:
        self._gateway = gateway
        self._served = served
        self._caller = caller
        self._websocket = websocket
        self._following = 0
        """Streams this connection follows now."""
        self._started: set[str] = set()
        self._sending = anyio.Lock()

    async def run(self) -> None:
        """Read messages until the client closes; then stop following every stream."""
        async with anyio.create_task_group() as streams:
            while (text := await self._receive()) is not None:
                try:
                    await self._handle(text, streams)
                except GatewayError as refusal:
                    await self._send({"type": "error", "id": _id_of(text), "data": refusal.body()})
            streams.cancel_scope.cancel()

    async def _receive(self) -> str | None:
        """The next text message; None once the client has gone."""
        while True:
            message = await self._websocket.receive()
            if message["type"] == "websocket.disconnect":
                return None
            if message.get("text") is not None:
                return str(message["text"])
            await self._send(
                {"type": "error", "id": None, "data": GatewayError(400, _TEXT_ONLY).body()}
            )

    async def _handle(self, text: str, streams: TaskGroup) -> None:
        message = _parse(text)
        self._check_rate()
        if isinstance(message, CancelMessage):
            self._cancel(message)
            return
        if self._following >= self._gateway.settings.websocket_streams:
            raise GatewayError(
                429,
                f"this connection already follows {self._following} streams "
                "(websocket_streams); wait for one to end",
            )
        first: StreamEvent | None
        if isinstance(message, StreamMessage):
            chunks, first = await self._start(message)
        else:
            chunks, first = self._resume(message)
        task_id = chunks.cursor.task_id
        self._following += 1
        events = self._gateway.events(self._served, task_id, chunks)
        streams.start_soon(self._follow, message, task_id, first, events)

    def _check_rate(self) -> None:
        # Each message is a request: the handshake took the connection's first token.
        key = self._caller.key
        wait = self._gateway.quotas.take(key) if key is not None else 0.0
        if wait:
            raise too_many_requests(key.name if key else "", wait)

    async def _start(self, message: StreamMessage) -> tuple[AsyncChunkStream, StreamEvent]:
        gateway, served = self._gateway, self._served
        value, config = served.schemas.check_call(message.input, message.config)
        handle = await gateway.sender.send(
            served, value, config, caller=self._caller.name, mode="stream"
        )
        self._started.add(handle.id)
        run_id = str(config["run_id"])
        metadata = {"run_id": run_id, "task_id": handle.id}
        first = StreamEvent("metadata", metadata, event_id(handle.cursor))
        return handle.astream(timeout=gateway.settings.timeout, report_restarts=True), first

    def _resume(self, message: ResumeMessage) -> tuple[AsyncChunkStream, None]:
        gateway = self._gateway
        cursor = gateway.stream_cursor(message.task_id, message.after)
        chunks = gateway.app.astream(cursor, timeout=gateway.settings.timeout, report_restarts=True)
        return chunks, None

    def _cancel(self, message: CancelMessage) -> None:
        if message.task_id not in self._started:
            raise GatewayError(404, f"this connection did not start task {message.task_id}")
        self._gateway.revoke_soon(message.task_id)

    async def _follow(
        self,
        message: StreamMessage | ResumeMessage,
        task_id: str,
        first: StreamEvent | None,
        events: AsyncGenerator[StreamEvent, None],
    ) -> None:
        """Send the stream's events to the client, as one of the stream's followers."""
        followers = self._gateway.followers
        followers.join(task_id, cancel_on_disconnect=message.cancel_on_disconnect)
        finished = False
        try:
            async with contextlib.aclosing(events):
                sent = first is None or await self._send_event(message.id, task_id, first)
                async for event in events:
                    sent = sent and await self._send_event(message.id, task_id, event)
                    if not sent:  # the client went away: the same as a disconnect
                        break
            finished = sent
        finally:
            self._following -= 1
            if followers.leave(task_id, finished=finished):
                self._gateway.revoke_soon(task_id)

    async def _send_event(self, request_id: str | None, task_id: str, event: StreamEvent) -> bool:
        answer = {
            "type": event.name,
            "id": request_id,
            "task_id": task_id,
            "event_id": event.id,
            "data": event.data,
        }
        return await self._send(answer)

    async def _send(self, answer: dict[str, Any]) -> bool:
        """Send one answer; False when the connection is gone."""
        text = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        try:
            async with self._sending:  # one frame at a time, whichever stream it belongs to
                await self._websocket.send_text(text)
        except (WebSocketDisconnect, OSError, RuntimeError):
            return False
        return True


_TEXT_ONLY = "send JSON text messages, not binary ones"


def _parse(text: str) -> StreamMessage | ResumeMessage | CancelMessage:
    try:
        tree = json.loads(text)
    except ValueError as error:
        raise GatewayError(400, f"the message is not valid JSON: {error}") from None
    try:
        return ClientMessage.validate_python(tree)
    except ValidationError as error:
        raise invalid("the message is not one this endpoint takes", error, "") from None


def _id_of(text: str) -> str | None:
    """The `id` of a message that was refused, when it has a readable one."""
    with contextlib.suppress(ValueError, AttributeError):
        given = json.loads(text).get("id")
        return given if isinstance(given, str) else None
    return None
