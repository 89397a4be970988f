"""SSE framing, and a response that keeps a quiet line open and closes its events."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from kafkatask.gateway.sse import KEEP_ALIVE, EventStreamResponse, frame
from tests.gateway.sse import events_of


def test_an_event_has_its_name_id_and_one_data_line_per_line():
    assert frame("data", '"hi"', "0.7.2.ab") == b'event: data\nid: 0.7.2.ab\ndata: "hi"\n\n'
    assert frame("end", "{}") == b"event: end\ndata: {}\n\n"
    assert frame("note", "a\nb") == b"event: note\ndata: a\ndata: b\n\n"
    assert frame("empty", "") == b"event: empty\ndata: \n\n"


def test_a_line_break_in_an_id_is_refused():
    with pytest.raises(ValueError, match="line break"):
        frame("data", "1", "a\nid: forged")


async def test_a_quiet_stream_gets_comments_and_its_events_are_closed_when_it_ends():
    closed = asyncio.Event()

    async def events():
        try:
            yield frame("data", '"first"', "1")
            await asyncio.sleep(0.35)
            yield frame("data", '"second"', "2")
        finally:
            closed.set()

    async def endpoint(request):
        return EventStreamResponse(events(), keep_alive=0.1)

    app = Starlette(routes=[Route("/s", endpoint)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as client:
        body = (await client.get("/s")).content
    assert body.count(KEEP_ALIVE) >= 2
    assert [event.data for event in events_of(iter(body.decode().split("\n")))] == [
        "first",
        "second",
    ]
    assert closed.is_set()
