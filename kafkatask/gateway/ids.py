"""Ids from which any gateway process finds a task's result and stream in Kafka.

A task the gateway sends carries, in its id, where its records will be: the partition of the
results topic its result goes to and an offset at or before that result, and for a streamed
task the same for its stream, `<32 hex digits>.<partition>.<offset>[.<partition>.<offset>]`.
(The offsets are the client's reply offsets at the moment it sends, see `App.reply_offsets`.)
Each SSE event id is the stream cursor right after that event,
`<partition>.<offset>.<seq>[.<attempt>...]`: the next record to read, the last chunk delivered
(-1 for none) and the attempts seen, in order (docs/protocol.md, section 12.4). With the two,
a gateway that never saw the task resumes its stream with no gap and no repeat. Both are
opaque to clients: they pass them back as they got them.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from kafkatask.result import ResultCursor
from kafkatask.streaming import StreamCursor

Position = tuple[int, int]
"""A partition and an offset in it."""
_NUMBER = re.compile(r"^(0|[1-9][0-9]{0,18})$")
_ATTEMPT = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class TaskLocation:
    """Where the records of a task the gateway sent are, from its id."""

    results: Position
    streams: Position | None


def new_task_id(results: Position, streams: Position | None) -> str:
    positions = [*results, *(streams or ())]
    return ".".join([uuid.uuid4().hex, *(str(number) for number in positions)])


def locate(task_id: str) -> TaskLocation | None:
    """The location a gateway task id carries; None for an id the gateway did not make."""
    head, *numbers = task_id.split(".")
    if len(head) != 32 or len(numbers) not in (2, 4) or not all(map(_NUMBER.match, numbers)):
        return None
    values = [int(number) for number in numbers]
    streams = (values[2], values[3]) if len(values) == 4 else None
    return TaskLocation((values[0], values[1]), streams)


def result_cursor(task_id: str, topic: str, location: TaskLocation) -> ResultCursor:
    partition, offset = location.results
    return ResultCursor(task_id=task_id, topic=topic, partition=partition, offset=offset)


def stream_start(task_id: str, topic: str, location: TaskLocation) -> StreamCursor | None:
    """The cursor of a gateway task's stream at its first record; None for an invoke task."""
    if location.streams is None:
        return None
    partition, offset = location.streams
    return StreamCursor(task_id=task_id, topic=topic, partition=partition, offset=offset)


def event_id(cursor: StreamCursor) -> str:
    return ".".join([str(cursor.partition), str(cursor.offset), str(cursor.seq), *cursor.attempts])


def cursor_after(last_event_id: str, task_id: str, topic: str) -> StreamCursor:
    """The cursor an event id names, for the stream of `task_id`.

    Raises ValueError when `last_event_id` is not an event id of this gateway.
    """
    parts = last_event_id.split(".")
    if len(parts) < 3 or not all(_NUMBER.match(number) for number in parts[:2]):
        raise ValueError(f"{last_event_id!r} is not an event id of this gateway")
    partition, offset, seq, *attempts = parts
    if not (seq == "-1" or _NUMBER.match(seq)) or not all(map(_ATTEMPT.match, attempts)):
        raise ValueError(f"{last_event_id!r} is not an event id of this gateway")
    return StreamCursor(
        task_id=task_id,
        topic=topic,
        partition=int(partition),
        offset=int(offset),
        attempts=tuple(attempts),
        seq=int(seq),
    )
