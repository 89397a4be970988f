"""Reading a task's stream: live from the client's router, or replayed from Kafka.

Every execution of a task streams under its own `attempt`. A task whose worker died mid-stream
runs again elsewhere and streams again from seq 0 under a new attempt. Readers guarantee one
stream, never two interleaved ones, with this rule, which every reader applies to the same log
and so reaches the same result:

- follow the newest attempt (the last one to appear in the partition); never go back to an
  older one, even if it is still talking (a frozen worker that woke up);
- yield a chunk only when its seq is past the last seq yielded, so a new attempt continues
  where the previous one stopped instead of repeating it;
- stop at the followed attempt's end marker; raise its error marker.

A deterministic Runnable therefore gives exactly its one complete stream; a non-deterministic
one (a sampling LLM) gives the dead attempt's prefix followed by the new attempt's rest.

A reader that can start over (a page that can clear what it shows) asks for
`report_restarts=True` instead: when a new attempt appears after chunks were delivered, it
yields a `StreamRestart` and then the new attempt's chunks from its first one, so two different
outputs are never spliced together.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kafkatask.client.stream_slot import StreamSlot
from kafkatask.exceptions import DecodeError, TaskTimeoutError
from kafkatask.kafka.config import consumer_config
from kafkatask.kafka.partition_reader import PartitionReader
from kafkatask.protocol import ErrorInfo, Header, StreamChunk, decode, header_value
from kafkatask.remote_errors import rebuild
from kafkatask.serialization import ValueCodec
from kafkatask.serialization.signing import signer_of
from kafkatask.settings import Settings


class StreamCursor(BaseModel):
    """A position in one task's stream: give it to `app.stream()` to replay or resume.

    `offset` is the next record to read in the stream partition; `attempts` and `seq` say what
    has been seen, so a resumed reader neither repeats nor skips a chunk.
    """

    model_config = ConfigDict(frozen=True)

    task_id: str
    topic: str
    partition: int
    offset: int
    attempts: tuple[str, ...] = ()
    seq: int = Field(default=-1, ge=-1)

    def from_start(self) -> StreamCursor:
        """This stream from its first chunk (a second subscriber's cursor)."""
        return self.model_copy(update={"attempts": (), "seq": -1})


@dataclass(frozen=True)
class StreamRestart:
    """What a stream read with `report_restarts=True` yields when the task started over.

    The chunks yielded before it belong to an attempt that will not finish (its worker died, or
    the run failed and is being retried); the chunks after it are the new attempt's, from its
    first one. A reader that shows the stream clears what it has shown.
    """

    attempt: str
    """The id of the new attempt."""


DeliveryKind = Literal["restart", "chunk", "end", "error"]
Delivery = tuple[DeliveryKind, Any, StreamCursor]
"""What a record delivers: its kind, its value (the attempt id, the chunk's wire data, None,
or the ErrorInfo), and the cursor to resume from right after it."""


class StreamFollower:
    """The reading rule (see the module docstring) applied record by record.

    With `report_restarts`, a new attempt that appears after chunks were delivered is reported
    and then followed from its first chunk, instead of after the last seq delivered.
    """

    def __init__(self, cursor: StreamCursor, *, report_restarts: bool = False) -> None:
        self.cursor = cursor
        self.report_restarts = report_restarts

    def accept(self, offset: int, chunk: StreamChunk) -> list[Delivery]:
        """What the record delivers, in order (usually one thing; none for a skipped record)."""
        cursor = self.cursor
        attempts, seq = cursor.attempts, cursor.seq
        deliveries: list[Delivery] = []
        if chunk.attempt not in attempts:
            attempts = (*attempts, chunk.attempt)
            if self.report_restarts and seq >= 0:
                seq = -1
                # Resuming from here reads this record again, as the followed attempt's own.
                again = cursor.model_copy(
                    update={"offset": offset, "attempts": attempts, "seq": seq}
                )
                deliveries.append(("restart", chunk.attempt, again))
        elif chunk.attempt != attempts[-1]:
            self.cursor = cursor.model_copy(update={"offset": offset + 1})
            return deliveries
        kind, value = _delivered(chunk, seq)
        if kind == "chunk":
            seq = chunk.seq
        self.cursor = cursor.model_copy(
            update={"offset": offset + 1, "attempts": attempts, "seq": seq}
        )
        if kind is not None:
            deliveries.append((kind, value, self.cursor))
        return deliveries


def _delivered(chunk: StreamChunk, seq: int) -> tuple[DeliveryKind | None, Any]:
    """What a record of the followed attempt delivers, `seq` being the last chunk delivered."""
    if chunk.kind == "chunk":
        return ("chunk", chunk.data) if chunk.seq > seq else (None, None)
    if chunk.kind == "end":
        return "end", None
    if chunk.kind == "error":
        return "error", chunk.error
    return None, None  # a start marker delivers nothing


_END = object()


class _Reader:
    """What the sync and async chunk streams share: the rule, the cursor, the decoding.

    A record can deliver two things (a restart, then the new attempt's first chunk), so what
    it delivers waits in `_ready` until it is yielded; `cursor` moves as each one is.
    """

    def __init__(self, cursor: StreamCursor, values: ValueCodec, report_restarts: bool) -> None:
        self._follower = StreamFollower(cursor, report_restarts=report_restarts)
        self._values = values
        self.cursor = cursor
        self.task: str | None = None
        """The task name the stream's records carry (None before the first record)."""
        self._ready: deque[tuple[Any, StreamCursor]] = deque()
        self._finished = False

    def _read(self, offset: int, chunk: StreamChunk) -> None:
        self.task = chunk.task
        for kind, value, cursor in self._follower.accept(offset, chunk):
            self._ready.append((self._value_of(kind, value), cursor))
            self._finished = kind in ("end", "error")

    def _value_of(self, kind: DeliveryKind, value: Any) -> Any:
        if kind == "chunk":
            return self._values.decode(value)
        if kind == "restart":
            return StreamRestart(value)
        if kind == "end":
            return _END
        return value  # the ErrorInfo, raised when it is taken

    def _take(self) -> Any:
        """The next delivered value, or _END; raises the stream's error."""
        if not self._ready:
            return _END
        value, self.cursor = self._ready.popleft()
        if isinstance(value, ErrorInfo):
            raise rebuild(value)
        return value

    @property
    def _waiting(self) -> bool:
        """Whether the next value needs another record."""
        return not self._ready and not self._finished


class ChunkStream(_Reader):
    """Iterates a task's chunks; `cursor` is where to resume after the last one yielded."""

    def __init__(
        self,
        source: Iterator[tuple[int, StreamChunk]],
        cursor: StreamCursor,
        values: ValueCodec,
        *,
        report_restarts: bool = False,
    ) -> None:
        super().__init__(cursor, values, report_restarts)
        self._source = source

    def __iter__(self) -> ChunkStream:
        return self

    def __next__(self) -> Any:
        try:
            while self._waiting:
                self._read(*next(self._source))
            value = self._take()
        except BaseException:
            self.close()
            raise
        if value is _END:
            self.close()
            raise StopIteration
        return value

    def close(self) -> None:
        """Stop reading (closes a replay's consumer)."""
        self._finished = True
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


class AsyncChunkStream(_Reader):
    """The async twin of ChunkStream."""

    def __init__(
        self,
        source: AsyncIterator[tuple[int, StreamChunk]],
        cursor: StreamCursor,
        values: ValueCodec,
        *,
        report_restarts: bool = False,
    ) -> None:
        super().__init__(cursor, values, report_restarts)
        self._source = source

    def __aiter__(self) -> AsyncChunkStream:
        return self

    async def __anext__(self) -> Any:
        try:
            while self._waiting:
                self._read(*await anext(self._source))
            value = self._take()
        except BaseException:
            await self.aclose()
            raise
        if value is _END:
            await self.aclose()
            raise StopAsyncIteration
        return value

    async def aclose(self) -> None:
        """Stop reading (closes a replay's consumer)."""
        self._finished = True
        close = getattr(self._source, "aclose", None)
        if close is not None:
            await close()


def live_records(slot: StreamSlot, timeout: float | None) -> Iterator[tuple[int, StreamChunk]]:
    """The slot's records as they arrive; TaskTimeoutError after `timeout` s of silence."""
    index = 0
    while True:
        if not slot.wait(index, timeout):
            raise _silent(slot.id, timeout)
        while index < len(slot.records):
            yield slot.records[index]
            index += 1


async def alive_records(
    slot: StreamSlot, timeout: float | None
) -> AsyncIterator[tuple[int, StreamChunk]]:
    index = 0
    while True:
        if not await slot.wait_async(index, timeout):
            raise _silent(slot.id, timeout)
        while index < len(slot.records):
            yield slot.records[index]
            index += 1


def replayed_records(
    settings: Settings,
    cursor: StreamCursor,
    timeout: float | None,
    stop: threading.Event | None = None,
) -> Generator[tuple[int, StreamChunk], None, None]:
    """The task's records read back from Kafka from `cursor.offset`, with a consumer of its own.

    With a signing secret, records that do not verify are skipped, as the live router does.
    Setting `stop` ends the generator (and closes its consumer) within a fraction of a second,
    from any thread.
    """
    signer = signer_of(settings)
    group = f"{settings.namespace}.replay.{uuid.uuid4().hex}"
    reader = PartitionReader(
        consumer_config(settings, f"replay-{cursor.task_id}", group),
        cursor.topic,
        cursor.partition,
        cursor.offset,
    )
    heard = time.monotonic()
    try:
        while stop is None or not stop.is_set():
            records = reader.take(_POLL)
            if records:
                heard = time.monotonic()
            elif timeout is not None and time.monotonic() - heard >= timeout:
                raise _silent(cursor.task_id, timeout)
            for record in records:
                if header_value(record.headers(), Header.ID) != cursor.task_id:
                    continue
                if signer is not None and signer.verify(record.headers(), record.value()):
                    continue
                try:
                    chunk = decode(StreamChunk, record.value(), record.headers())
                except DecodeError:
                    continue
                offset = record.offset()
                assert offset is not None
                yield offset, chunk
    finally:
        reader.close()


async def areplayed_records(
    settings: Settings, cursor: StreamCursor, timeout: float | None
) -> AsyncIterator[tuple[int, StreamChunk]]:
    """`replayed_records` for async code: each read runs on a thread, off the event loop."""
    stop = threading.Event()
    records = replayed_records(settings, cursor, timeout, stop)
    done = object()
    lock = threading.Lock()
    reading = False

    def read_one() -> Any:
        # Whoever finds the generator idle once `stop` is set closes it: this thread after its
        # read (a read cancelled mid-way), or the finally below (no read under way).
        nonlocal reading
        with lock:
            if stop.is_set():
                return done
            reading = True
        try:
            item = next(records, done)
        finally:
            with lock:
                reading = False
                stopped = stop.is_set()
        if stopped:
            records.close()
            return done
        return item

    try:
        while (item := await asyncio.to_thread(read_one)) is not done:
            yield item
    finally:
        with lock:
            stop.set()
            idle = not reading
        if idle:
            await asyncio.to_thread(records.close)


_POLL = 0.2
"""How long a replay waits for records before it checks `stop` and its timeout again."""


def _silent(task_id: str, timeout: float | None) -> TaskTimeoutError:
    return TaskTimeoutError(
        f"the stream of task {task_id} sent nothing for {timeout}s; iterate again from "
        "its cursor (app.stream(cursor)) to resume"
    )


class Aggregate:
    """The final output of a stream: chunks added with `+`, or the last one when they do not add.

    This is how a Runnable's own invoke relates to its stream (message chunks and strings add
    up; a parser's cumulative dicts do not, and the last one is the whole).
    """

    def __init__(self) -> None:
        self.value: Any = None
        self._started = False

    def add(self, chunk: Any) -> None:
        if not self._started:
            self.value, self._started = chunk, True
            return
        try:
            self.value = self.value + chunk
        except TypeError:
            self.value = chunk
