"""The web side: start a reply for a conversation, and stream it over SSE from any point.

`POST /chat` with `{"conversation_id": ..., "message": ...}` sends the reply task (its stream
goes to Kafka); `GET /stream/{conversation_id}` follows the conversation's latest reply, as
`text` events, then `finish`, or `error` after the text already sent. Every event's id says
where in Kafka the stream is right after it, so `Last-Event-ID` (EventSource's reconnect) or
`?from=<event id>` (a reloaded page, curl) resumes right after that event, and any number of
clients follow one conversation, each with its own reader of the same records.

`uvicorn examples.reliable_stream.server:site`, next to a worker of
examples.reliable_stream.generation, or both at once: `python -m examples.reliable_stream`.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from examples.reliable_stream.generation import app, reply
from kafkatask import AsyncResult, StreamCursor
from kafkatask.exceptions import BrokerUnavailableError, PublishError, TaskTimeoutError
from kafkatask.gateway.errors import error_text, error_type
from kafkatask.gateway.ids import cursor_after
from kafkatask.gateway.ids import event_id as position_of
from kafkatask.gateway.sse import EventStreamResponse, frame
from kafkatask.streaming import AsyncChunkStream
from kafkatask.worker import Worker

PAGE = Path(__file__).with_name("page.html")
SILENCE = 60.0
"""Seconds a stream may stay silent before its reader gives up (the client may resume)."""
KEEP_ALIVE = 15.0
"""Seconds of silence after which an SSE comment keeps proxies from closing the line."""
BODY_LIMIT = 64 * 1024
CONVERSATION_ID = r"^[A-Za-z0-9_-]{1,64}$"
ChunkType = Literal["text", "finish", "error"]


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation_id: str = Field(pattern=CONVERSATION_ID)
    message: str = Field(min_length=1, max_length=4000)


@dataclass(frozen=True)
class Reply:
    """One reply of a conversation: `generation` names it in event ids."""

    generation: str
    handle: AsyncResult[Any]


class HttpError(Exception):
    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.body = {"status_code": status, "message": message, **extra}


class Conversations:
    """Each conversation's latest reply, in this process's memory (README: why that is enough).

    Only a first subscriber, who has no event id yet, needs it: an event id holds the reply's
    generation and its position in Kafka, and the task id is the conversation id and the
    generation, so a resume needs nothing from here (another process, or this one restarted).
    """

    def __init__(self) -> None:
        self._latest: dict[str, Reply] = {}
        self._starting: set[str] = set()

    async def start(self, conversation_id: str, message: str) -> Reply:
        """Send the reply task; 409 while the conversation's previous reply is being written."""
        latest = self._latest.get(conversation_id)
        if conversation_id in self._starting or (latest and not latest.handle.ready()):
            raise HttpError(409, f"conversation {conversation_id} is still being answered")
        self._starting.add(conversation_id)
        generation = uuid.uuid4().hex
        try:
            handle = await anyio.to_thread.run_sync(
                lambda: reply.apply_async(
                    (message,), task_id=task_id(conversation_id, generation), stream=True
                )
            )
        except (BrokerUnavailableError, PublishError) as error:
            raise HttpError(503, str(error)) from None
        finally:
            self._starting.discard(conversation_id)
        self._latest[conversation_id] = Reply(generation, handle)
        return self._latest[conversation_id]

    def latest(self, conversation_id: str) -> Reply:
        if conversation_id not in self._latest:
            raise HttpError(404, f"conversation {conversation_id} has no reply to stream")
        return self._latest[conversation_id]


def task_id(conversation_id: str, generation: str) -> str:
    return f"{conversation_id}.{generation}"


def event_id(generation: str, cursor: StreamCursor) -> str:
    return f"{generation}.{position_of(cursor)}"


def resume_cursor(conversation_id: str, last_event_id: str) -> StreamCursor:
    """The cursor right after the event `last_event_id` of the conversation; 400 if not one."""
    generation, _, position = last_event_id.partition(".")
    if not re.fullmatch(r"[0-9a-f]{32}", generation):
        raise HttpError(400, f"{last_event_id!r} is not an event id of this stream")
    try:
        return cursor_after(
            position, task_id(conversation_id, generation), app.topology.names.streams
        )
    except ValueError:
        raise HttpError(400, f"{last_event_id!r} is not an event id of this stream") from None


async def chat(request: Request) -> Response:
    if "application/json" not in request.headers.get("content-type", ""):
        raise HttpError(415, "send the body as application/json")
    body = await request.body()
    if len(body) > BODY_LIMIT:
        raise HttpError(413, f"the body is over {BODY_LIMIT} bytes")
    try:
        fields = json.loads(body)
    except ValueError:
        raise HttpError(400, "the body is not JSON") from None
    try:
        asked = ChatRequest.model_validate(fields)
    except ValidationError as error:
        problems = [
            {"field": ".".join(map(str, problem["loc"])), "message": problem["msg"]}
            for problem in error.errors()
        ]
        raise HttpError(422, "expected {conversation_id, message}", errors=problems) from None
    conversations: Conversations = request.app.state.conversations
    started = await conversations.start(asked.conversation_id, asked.message)
    start = event_id(started.generation, started.handle.cursor)
    url = f"{request.url_for('stream', conversation_id=asked.conversation_id).path}?from={start}"
    answer = {"conversation_id": asked.conversation_id, "from": start, "stream_url": url}
    return JSONResponse(answer, status_code=202)


async def stream(request: Request) -> Response:
    conversation_id = request.path_params["conversation_id"]
    if not re.match(CONVERSATION_ID, conversation_id):
        raise HttpError(404, f"no conversation is called {conversation_id!r}")
    last = request.headers.get("last-event-id") or request.query_params.get("from")
    if last:
        cursor = resume_cursor(conversation_id, last)
        generation = last.partition(".")[0]
    else:
        latest = request.app.state.conversations.latest(conversation_id)
        cursor, generation = latest.handle.cursor, latest.generation
    chunks = app.astream(cursor, timeout=SILENCE)
    return EventStreamResponse(events(chunks, generation), keep_alive=KEEP_ALIVE)


async def events(chunks: AsyncChunkStream, generation: str) -> AsyncGenerator[bytes, None]:
    """The reply's chunks as SSE: `text`, then `finish`, or `error` after the text sent.

    `finish` and `error` repeat the id of the event before them, so a client that resumes
    from them is told the end again rather than nothing.
    """
    last = event_id(generation, chunks.cursor)
    try:
        async for text in chunks:
            last = event_id(generation, chunks.cursor)
            yield chunk_event("text", text, last)
        yield chunk_event("finish", "", last)
    except TaskTimeoutError as error:
        yield chunk_event("error", f"{error}; resume from the last event id", last)
    except Exception as error:  # the reply's own error, raised on the worker
        yield chunk_event("error", f"{error_type(error)}: {error_text(error)}", last)
    finally:
        await chunks.aclose()


def chunk_event(kind: ChunkType, content: str, last: str) -> bytes:
    return frame(kind, json.dumps({"type": kind, "content": content}), last)


async def page(request: Request) -> HTMLResponse:
    return HTMLResponse(PAGE.read_text())


async def refuse(request: Request, error: Exception) -> Response:
    assert isinstance(error, HttpError)
    return JSONResponse(error.body, status_code=error.body["status_code"])


def make_site(*, worker: Worker | None = None) -> Starlette:
    """The site; with `worker`, it also runs that worker for as long as it serves."""

    @asynccontextmanager
    async def lifespan(site: Starlette) -> AsyncIterator[None]:
        site.state.conversations = Conversations()
        if worker is not None:
            await anyio.to_thread.run_sync(worker.start)
        try:
            yield
        finally:
            if worker is not None:
                worker.stop()
                await anyio.to_thread.run_sync(worker.join, app.settings.shutdown_grace + 5)
            app.close()

    return Starlette(
        routes=[
            Route("/", page),
            Route("/chat", chat, methods=["POST"]),
            Route("/stream/{conversation_id}", stream, name="stream"),
        ],
        exception_handlers={HttpError: refuse},
        lifespan=lifespan,
    )


site = make_site()
