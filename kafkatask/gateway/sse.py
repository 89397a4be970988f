"""Server-Sent Events: the framing, and a response that keeps the line open and cleans up.

An event is written as `event:`, `id:` and one `data:` line per line of its data, then a blank
line. Starlette's StreamingResponse sends them; EventStreamResponse adds what a stream that
may be quiet for a while needs: a comment line after `keep_alive` seconds of silence (proxies
close connections that look idle), written by a task of its own so that an event costs no
more than its write, and the events' generator closed as soon as the response ends, also when
the client went away, so whatever follows the stream (a Kafka consumer, the count of the
clients following it) is let go of at once rather than whenever the generator is garbage
collected.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Mapping

import anyio
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse
from starlette.types import Send

KEEP_ALIVE = b": keep-alive\n\n"
"""An SSE comment: clients ignore it, proxies see traffic."""
STREAM_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""No cache may keep a stream, and nginx must pass each event on at once."""


def frame(name: str, data: str, event_id: str | None = None) -> bytes:
    """One SSE event; `event_id` becomes the client's Last-Event-ID."""
    if any(character in name + (event_id or "") for character in "\r\n\0"):
        raise ValueError("an SSE event name or id cannot hold a line break or a NUL")
    lines = [f"event: {name}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return ("\n".join(lines) + "\n\n").encode()


class EventStreamResponse(StreamingResponse):
    """A `text/event-stream` response of `events`, with keep-alive comments."""

    media_type = "text/event-stream"

    def __init__(
        self,
        events: AsyncGenerator[bytes, None],
        *,
        keep_alive: float,
        headers: Mapping[str, str] | None = None,
        background: BackgroundTask | None = None,
    ) -> None:
        super().__init__(events, headers={**STREAM_HEADERS, **(headers or {})})
        self.background = background
        self._events = events
        self._keep_alive = keep_alive

    async def stream_response(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        line = _Line(send)
        try:
            async with anyio.create_task_group() as keeping:
                keeping.start_soon(line.keep_open, self._keep_alive)
                async for body in self._events:
                    await line.send(body)
                keeping.cancel_scope.cancel()
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            # Shielded: this also runs when the client went away and the response is cancelled.
            with anyio.CancelScope(shield=True):
                await self._events.aclose()


class _Line:
    """The response's body, written by its events and, when they are quiet, by keep_open.

    The two write whole messages, each one complete event or comment, so they need no lock:
    a comment between two events is valid SSE.
    """

    def __init__(self, send: Send) -> None:
        self._send = send
        self._written_at = time.monotonic()

    async def send(self, body: bytes) -> None:
        self._written_at = time.monotonic()
        await self._send({"type": "http.response.body", "body": body, "more_body": True})

    async def keep_open(self, interval: float) -> None:
        """Send KEEP_ALIVE whenever `interval` seconds pass without anything sent."""
        while True:
            await anyio.sleep(max(0.0, self._written_at + interval - time.monotonic()))
            if time.monotonic() - self._written_at >= interval:
                await self.send(KEEP_ALIVE)
