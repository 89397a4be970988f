"""`GET /generate?context=...`: the generated text over Server-Sent Events.

`uvicorn examples.batched_slow_model.server:server --port 8000`, with a worker of
examples.batched_slow_model.app. `&batching=off` sends the request to the task that does not
batch, for comparison. Events: `metadata` (the task id), `data` (the text), `end`; or `error`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from examples.batched_slow_model.app import app, generate, generate_one
from kafkatask.gateway.sse import EventStreamResponse, frame

TIMEOUT = 60.0


def _refuse(message: str) -> JSONResponse:
    return JSONResponse({"status_code": 422, "message": message}, status_code=422)


async def generate_route(request: Request) -> Response:
    context = request.query_params.get("context", "").strip()
    if not context:
        return _refuse("give the text to continue: GET /generate?context=...")
    batching = request.query_params.get("batching", "on")
    if batching not in {"on", "off"}:
        return _refuse(f"batching is 'on' or 'off', not {batching!r}")
    task = generate if batching == "on" else generate_one
    # Sending may wait for Kafka (the first send connects): not on the event loop.
    result = await asyncio.to_thread(task.apply_async, ({"context": context},))

    async def events() -> AsyncGenerator[bytes, None]:
        yield frame("metadata", json.dumps({"task_id": result.id}))
        try:
            text = await result.aget(timeout=TIMEOUT)
        except Exception as error:  # the caller is told over the stream, whatever it was
            message = f"{type(error).__name__}: {error}"
            yield frame("error", json.dumps({"status_code": 500, "message": message}))
            return
        yield frame("data", json.dumps(text))
        yield frame("end", "{}")

    return EventStreamResponse(events(), keep_alive=15)


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


@asynccontextmanager
async def lifespan(_: Starlette) -> AsyncIterator[None]:
    yield
    app.close()


server = Starlette(
    routes=[Route("/generate", generate_route), Route("/healthz", healthz)], lifespan=lifespan
)
