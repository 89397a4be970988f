"""A small Server-Sent Events reader for the tests: the raw lines, and the events they make."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    name: str
    id: str | None
    data: Any
    """The data, parsed as JSON."""


def events_of(lines: Iterator[str]) -> Iterator[Event]:
    """The events the lines of an SSE body make, as the SSE specification reads them."""
    name, event_id, data = "", None, []
    for line in lines:
        if not line:
            if data or name:
                yield Event(name or "message", event_id, json.loads("\n".join(data)))
            name, data = "", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "id":
            event_id = value
        elif field == "data":
            data.append(value)


def stream(
    client: httpx.Client, method: str, url: str, *, take: int | None = None, **options: Any
) -> list[Event]:
    """The events of one SSE response; with `take`, only the first `take`, then it hangs up."""
    events = []
    with client.stream(method, url, **options) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for event in events_of(response.iter_lines()):
            events.append(event)
            if take is not None and len(events) == take:
                break
    return events


def data_of(events: list[Event]) -> list[Any]:
    return [event.data for event in events if event.name == "data"]
