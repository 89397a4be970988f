"""A task's stream as the gateway sends it on: events with resumable ids, and who follows it.

`stream_events` turns the chunks of a task (live from this gateway's client, or replayed from
Kafka) into the events SSE and WebSocket clients get, LangServe's `data`, `end` and `error`,
and kafkatask's `restart`: the task started over under a new attempt (its worker died, or the
run failed and is retried), so a client clears what it has shown; the new attempt's chunks
follow from the first. Each event's id is the stream's cursor right after it (ids.py); `end`
and `error` repeat the id of the event before them, so a client that resumes from them reads
the end (or the error) again, not an empty stream.

`Followers` counts, per task, the clients of this process following its stream, so that a
stream started with `cancel_on_disconnect` is revoked when the last of them goes away.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any, Literal

from kafkatask.exceptions import TaskTimeoutError
from kafkatask.gateway.errors import GatewayError, failure
from kafkatask.gateway.ids import event_id
from kafkatask.gateway.settings import GatewaySettings
from kafkatask.gateway.values import to_json
from kafkatask.streaming import AsyncChunkStream, StreamRestart

EventName = Literal["metadata", "data", "restart", "end", "error"]


@dataclass(frozen=True)
class StreamEvent:
    """One event of a stream, for any transport: `data` is plain JSON data."""

    name: EventName
    data: Any
    id: str


async def stream_events(
    chunks: AsyncChunkStream,
    *,
    task_id: str,
    task: str,
    settings: GatewaySettings,
    keep: Callable[[Any], bool] | None = None,
) -> AsyncGenerator[StreamEvent, None]:
    """The events of `chunks`, the stream of task `task_id` of the served task named `task`.

    `keep` drops chunks it says no to (the event filters of `/stream_events`). A stream whose
    records belong to another task (a task id given on the wrong task's path) ends at once
    with a 404 `error`; one silent for `settings.timeout` seconds, with a 504.
    """
    last = event_id(chunks.cursor)
    try:
        async for item in chunks:
            _check(chunks, task)
            if isinstance(item, StreamRestart):
                last = event_id(chunks.cursor)
                yield StreamEvent("restart", {"attempt": item.attempt}, last)
            elif keep is None or keep(item):
                last = event_id(chunks.cursor)
                yield StreamEvent("data", to_json(item), last)
        _check(chunks, task)
        yield StreamEvent("end", {}, last)
    except GatewayError as refusal:
        yield StreamEvent("error", refusal.body(), last)
    except TaskTimeoutError:
        yield StreamEvent("error", _silent(task, task_id, settings.timeout).body(), last)
    except Exception as error:  # the task's error
        yield StreamEvent(
            "error", failure(error, task_id, tracebacks=settings.tracebacks).body(), last
        )
    finally:
        await chunks.aclose()  # a replay's consumer goes now, not when garbage collected


def _silent(task: str, task_id: str, timeout: float) -> GatewayError:
    return GatewayError(
        504,
        f"task {task} sent nothing for {timeout:g}s (timeout); it may still go on: follow its "
        "stream again from the last event id",
        task_id=task_id,
    )


def _check(chunks: AsyncChunkStream, task: str) -> None:
    if chunks.task is not None and chunks.task != task:
        raise GatewayError(404, f"no stream of task {task} has this id")


class Followers:
    """How many clients of this process follow each stream, and which ones to revoke."""

    def __init__(self) -> None:
        self._count: Counter[str] = Counter()
        self._cancel: set[str] = set()

    def join(self, task_id: str, *, cancel_on_disconnect: bool) -> None:
        self._count[task_id] += 1
        if cancel_on_disconnect:
            self._cancel.add(task_id)

    def leave(self, task_id: str, *, finished: bool) -> bool:
        """A client stopped following; True when the task is to be revoked now: its last
        client went away before the stream finished, and one of them asked for that."""
        self._count[task_id] -= 1
        if self._count[task_id] > 0:
            return False
        del self._count[task_id]
        asked = task_id in self._cancel
        self._cancel.discard(task_id)
        return asked and not finished

    def __len__(self) -> int:
        """Streams followed now."""
        return len(self._count)
