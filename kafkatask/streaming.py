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
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from pydantic import BaseModel, ConfigDict, Field

from kafkatask.client.stream_slot import StreamSlot
from kafkatask.exceptions import DecodeError, TaskTimeoutError
from kafkatask.kafka.config import consumer_config
from kafkatask.kafka.consuming import take
from kafkatask.protocol import Header, StreamChunk, decode, header_value
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


class StreamFollower:
    """The reading rule (see the module docstring) applied record by record."""

    def __init__(self, cursor: StreamCursor) -> None:
        self.cursor = cursor

    def accept(self, offset: int, chunk: StreamChunk) -> tuple[str, Any] | None:
        """("chunk", data), ("end", None), ("error", ErrorInfo), or None to skip the record."""
        cursor = self.cursor
        attempts = cursor.attempts
        if chunk.attempt not in attempts:
            attempts = (*attempts, chunk.attempt)
        elif chunk.attempt != attempts[-1]:
            self.cursor = cursor.model_copy(update={"offset": offset + 1})
            return None
        outcome: tuple[str, Any] | None = None
        seq = cursor.seq
        if chunk.kind == "chunk" and chunk.seq > seq:
            outcome, seq = ("chunk", chunk.data), chunk.seq
        elif chunk.kind == "end":
            outcome = ("end", None)
        elif chunk.kind == "error":
            outcome = ("error", chunk.error)
        self.cursor = cursor.model_copy(
            update={"offset": offset + 1, "attempts": attempts, "seq": seq}
        )
        return outcome


_MORE = object()
"""A record the reader skips (an older attempt, a repeated seq, a start marker)."""
_END = object()


class _Reader:
    """What the sync and async chunk streams share: the rule, the cursor, the decoding."""

    def __init__(self, cursor: StreamCursor, values: ValueCodec) -> None:
        self._follower = StreamFollower(cursor)
        self._values = values
        self.cursor = cursor
        self._finished = False

    def _read(self, offset: int, chunk: StreamChunk) -> Any:
        """The decoded chunk, _MORE to read on, or _END; raises the stream's error."""
        outcome = self._follower.accept(offset, chunk)
        if outcome is None:
            return _MORE
        kind, data = outcome
        self.cursor = self._follower.cursor
        if kind == "chunk":
            return self._values.decode(data)
        self._finished = True
        if kind == "error":
            raise rebuild(data)
        return _END


class ChunkStream(_Reader):
    """Iterates a task's chunks; `cursor` is where to resume after the last one yielded."""

    def __init__(
        self, source: Iterator[tuple[int, StreamChunk]], cursor: StreamCursor, values: ValueCodec
    ) -> None:
        super().__init__(cursor, values)
        self._source = source

    def __iter__(self) -> ChunkStream:
        return self

    def __next__(self) -> Any:
        while not self._finished:
            try:
                value = self._read(*next(self._source))
            except BaseException:
                self.close()
                raise
            if value is not _MORE and value is not _END:
                return value
        self.close()
        raise StopIteration

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
    ) -> None:
        super().__init__(cursor, values)
        self._source = source

    def __aiter__(self) -> AsyncChunkStream:
        return self

    async def __anext__(self) -> Any:
        while not self._finished:
            try:
                value = self._read(*await anext(self._source))
            except BaseException:
                await self.aclose()
                raise
            if value is not _MORE and value is not _END:
                return value
        await self.aclose()
        raise StopAsyncIteration

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
    consumer = Consumer(consumer_config(settings, f"replay-{cursor.task_id}", group))
    consumer.assign([TopicPartition(cursor.topic, cursor.partition, cursor.offset)])
    heard = time.monotonic()
    try:
        while stop is None or not stop.is_set():
            records = take(consumer, 500, timeout=_POLL)
            if records:
                heard = time.monotonic()
            elif timeout is not None and time.monotonic() - heard >= timeout:
                raise _silent(cursor.task_id, timeout)
            for record in records:
                if record.error() is not None:
                    continue
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
        consumer.close()


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
