"""Task ids and SSE event ids: what they carry, and ids that are not the gateway's."""

from __future__ import annotations

import pytest

from kafkatask.gateway.ids import (
    TaskLocation,
    cursor_after,
    event_id,
    locate,
    new_task_id,
    result_cursor,
    stream_start,
)
from kafkatask.streaming import StreamCursor


def test_a_task_id_carries_where_its_result_and_stream_are():
    invoked = new_task_id((3, 1042), None)
    streamed = new_task_id((3, 1042), (5, 77))
    assert locate(invoked) == TaskLocation((3, 1042), None)
    assert locate(streamed) == TaskLocation((3, 1042), (5, 77))
    assert invoked.split(".")[0] != streamed.split(".")[0]  # each id is new
    cursor = result_cursor(invoked, "ns.results", locate(invoked))  # type: ignore[arg-type]
    assert (cursor.topic, cursor.partition, cursor.offset) == ("ns.results", 3, 1042)
    start = stream_start(streamed, "ns.streams", locate(streamed))  # type: ignore[arg-type]
    assert start == StreamCursor(task_id=streamed, topic="ns.streams", partition=5, offset=77)
    assert stream_start(invoked, "ns.streams", locate(invoked)) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "task_id",
    [
        "5f0c2a9e-8d0b-4a43-9a55-3c1f0e6b7d21",
        "f" * 32,
        "f" * 32 + ".1",
        "f" * 32 + ".1.x",
        "f" * 32 + ".1.-2",
        "f" * 31 + ".1.2",
    ],
)
def test_ids_the_gateway_did_not_make_have_no_location(task_id):
    assert locate(task_id) is None


def test_an_event_id_is_the_cursor_after_the_event():
    cursor = StreamCursor(
        task_id="t",
        topic="ns.streams",
        partition=2,
        offset=90,
        attempts=("a" * 32, "b" * 32),
        seq=4,
    )
    text = event_id(cursor)
    assert text == f"2.90.4.{'a' * 32}.{'b' * 32}"
    assert cursor_after(text, "t", "ns.streams") == cursor
    start = cursor.model_copy(update={"attempts": (), "seq": -1})
    assert cursor_after(event_id(start), "t", "ns.streams") == start


@pytest.mark.parametrize(
    "text", ["", "1", "1.2", "x.2.3", "1.2.-2", "1.2.3.not an attempt", "1.2.3.a/b"]
)
def test_a_malformed_event_id_is_refused(text):
    with pytest.raises(ValueError, match="not an event id"):
        cursor_after(text, "t", "ns.streams")
