"""AsyncResult: the caller's handle on one task, resolved from the results topic.

A result can also be read back later, by any process, from the reply partition it went to
(`ResultCursor`, `replayed_result`): that is how a gateway answers for a task another gateway
process sent.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from kafkatask.client.slot import ResultSlot
from kafkatask.client.stream_slot import StreamSlot
from kafkatask.exceptions import DecodeError, TaskTimeoutError
from kafkatask.kafka.config import consumer_config
from kafkatask.kafka.partition_reader import PartitionReader
from kafkatask.kafka.producer import HURRY_TIMEOUT
from kafkatask.protocol import Header, ReplyAddress, ResultMessage, decode, header_value
from kafkatask.remote_errors import rebuild
from kafkatask.serialization.signing import signer_of
from kafkatask.settings import Settings
from kafkatask.states import TaskState
from kafkatask.streaming import (
    AsyncChunkStream,
    ChunkStream,
    StreamCursor,
    alive_records,
    live_records,
)

if TYPE_CHECKING:
    from kafkatask.app import App

R = TypeVar("R")

_UNSET: Any = object()


class AsyncResult(Generic[R]):
    """A handle on a task: its state now, and its result when it is ready.

    The handle never blocks unless asked to (`get`, `aget`, `await`); a timeout leaves it usable,
    so it can be waited on again.
    """

    def __init__(
        self,
        task_id: str,
        slot: ResultSlot | None,
        app: App,
        stream: tuple[StreamSlot, ReplyAddress] | None = None,
    ) -> None:
        self.id = task_id
        self._slot = slot
        self._app = app
        self._values = app.values
        self._stream = stream
        self._value: Any = _UNSET

    def __repr__(self) -> str:
        return f"<AsyncResult {self.task_name or '?'}[{self.id}] {self.state}>"

    @property
    def task_name(self) -> str | None:
        return self._slot.task if self._slot else None

    @property
    def state(self) -> TaskState:
        return self._slot.state if self._slot else TaskState.PENDING

    @property
    def status(self) -> TaskState:
        """The same as `state` (Celery's other name for it)."""
        return self.state

    def ready(self) -> bool:
        return self.state.ready

    def successful(self) -> bool:
        return self.state == TaskState.SUCCESS

    def failed(self) -> bool:
        return self.state == TaskState.FAILURE

    @property
    def result(self) -> R | BaseException | None:
        """The return value, or the exception when it failed; None while not ready."""
        if not self.ready():
            return None
        outcome: R | BaseException = self._outcome()
        return outcome

    @property
    def traceback(self) -> str | None:
        """The worker's formatted traceback when the task failed."""
        message = self._slot.message if self._slot else None
        if message is None or message.error is None:
            return None
        return message.error.traceback or None

    @property
    def worker(self) -> str | None:
        """The id of the worker that reported the latest state."""
        message = self._slot.message if self._slot else None
        return message.worker if message else None

    @property
    def retries(self) -> int:
        message = self._slot.message if self._slot else None
        return message.retries if message else 0

    def revoke(self, terminate: bool = False) -> None:
        """Cancel the task if it has not started (or, with terminate, if it is running)."""
        self._app.control.revoke(self.id, terminate=terminate)

    def on_ready(self, callback: Callable[[], None]) -> None:
        """Call `callback` (on the client's reply thread) once the task is final."""
        slot = self._result_slot()
        if slot.released and not slot.done:  # read it back, then call (on a thread of its own)
            slot.on_done(callback)
            threading.Thread(target=self._read_back, args=(slot, None), daemon=True).start()
            return
        slot.on_done(callback)

    def get(self, timeout: float | None = None, propagate: bool = True) -> R:
        """Wait for the result; re-raise the remote error unless `propagate=False`.

        Raises TaskTimeoutError (a TimeoutError) when `timeout` seconds pass first; the handle
        can be waited on again.
        """
        began = time.monotonic()
        slot = self._result_slot()
        if not slot.done:
            # Someone waits for our request: it need not wait for linger.ms.
            hurry = HURRY_TIMEOUT if timeout is None else min(timeout, HURRY_TIMEOUT)
            self._app.connection.producer.hurry(hurry)
        if not slot.wait(timeout) and not (slot.released and self._read_back(slot, timeout)):
            raise self._timed_out(slot, timeout, began)
        return self._finish(propagate)

    async def aget(self, timeout: float | None = None, propagate: bool = True) -> R:
        """`get` for async code: waits without blocking the event loop."""
        began = time.monotonic()
        slot = self._result_slot()
        if not slot.done:
            self._app.connection.producer.hurry_soon()  # as in `get`, without blocking the loop
        if not await slot.wait_async(timeout) and not (
            slot.released and await self._aread_back(slot, timeout)
        ):
            raise self._timed_out(slot, timeout, began)
        return self._finish(propagate)

    # -- results read back (result_wait_expiry) --------------------------------------------

    def _timed_out(self, slot: ResultSlot, timeout: float | None, began: float) -> TaskTimeoutError:
        error = self.timeout_error(timeout, time.monotonic() - began)
        if slot.released:
            error.add_note(
                f"this client stopped waiting for it in memory after nobody waited for "
                f"{self._app.settings.result_wait_expiry:.0f}s (result_wait_expiry), so it read "
                "the reply partition back, where the result is not yet"
            )
        return error

    def _read_back(
        self, slot: ResultSlot, timeout: float | None, stop: threading.Event | None = None
    ) -> bool:
        """Read the result of a released slot back from the reply partition, into the slot;
        False when it has not arrived within `timeout` seconds."""
        router = self._app.connection.router
        cursor = ResultCursor(
            task_id=self.id,
            topic=router.results.topic,
            partition=router.results.partition,
            offset=slot.floor,
        )
        try:
            message = replayed_result(self._app.settings, cursor, timeout, stop)
        except TaskTimeoutError:
            return False
        if message is None:
            return False
        slot.update(message)
        return True

    async def _aread_back(self, slot: ResultSlot, timeout: float | None) -> bool:
        stop = threading.Event()
        try:
            return await asyncio.to_thread(self._read_back, slot, timeout, stop)
        finally:
            stop.set()

    def __await__(self) -> Generator[Any, None, R]:
        return self.aget().__await__()

    # -- streams (tasks sent with stream=True) ---------------------------------------------

    @property
    def cursor(self) -> StreamCursor:
        """Where this task's stream starts: `app.stream(cursor)` replays it from anywhere."""
        if self._stream is None:
            raise ValueError(
                f"task {self.task_name or '?'}[{self.id}] was not sent with stream=True"
            )
        slot, address = self._stream
        return StreamCursor(
            task_id=self.id, topic=address.topic, partition=address.partition, offset=slot.floor
        )

    def stream(self, timeout: float | None = None, *, report_restarts: bool = False) -> ChunkStream:
        """The task's chunks as they arrive, from the first one; raises the task's error.

        `timeout` bounds the wait for each next chunk. Any number of iterators may read the same
        handle; each starts at the first chunk. With `report_restarts`, a task that starts over
        under a new attempt yields a StreamRestart, then the new attempt's chunks from its first
        (see streaming.py); by default the new attempt continues the stream.
        """
        slot, _ = self._stream_parts()
        self._app.connection.producer.hurry()  # the caller reads at once: send the request now
        records = live_records(slot, timeout)
        return ChunkStream(records, self.cursor, self._values, report_restarts=report_restarts)

    def astream(
        self, timeout: float | None = None, *, report_restarts: bool = False
    ) -> AsyncChunkStream:
        """`stream` for async code."""
        slot, _ = self._stream_parts()
        self._app.connection.producer.hurry_soon()
        records = alive_records(slot, timeout)
        return AsyncChunkStream(records, self.cursor, self._values, report_restarts=report_restarts)

    def _stream_parts(self) -> tuple[StreamSlot, ReplyAddress]:
        self.cursor  # noqa: B018 - raises the explanatory error for a non-stream task
        assert self._stream is not None
        return self._stream

    def timeout_error(self, timeout: float | None, waited: float | None = None) -> TaskTimeoutError:
        """The error of a wait for this task that ran out of time."""
        waited = (timeout or 0.0) if waited is None else waited
        return TaskTimeoutError(
            f"task {self.task_name or '?'}[{self.id}] is still {self.state} after {waited:.1f}s "
            f"(timeout={timeout}); the handle can be waited on again"
        )

    def _result_slot(self) -> ResultSlot:
        if self._slot is None:
            raise ValueError(
                f"task {self.task_name or '?'}[{self.id}] was sent without a result "
                "(ignore_result): there is nothing to wait for"
            )
        return self._slot

    def _finish(self, propagate: bool) -> R:
        outcome = self._outcome()
        if propagate and isinstance(outcome, BaseException) and not self.successful():
            raise outcome
        value: R = outcome
        return value

    def _outcome(self) -> Any:
        if self._value is _UNSET:
            message = self._slot.message if self._slot else None
            assert message is not None, "only called once the slot is done"
            if message.state == TaskState.SUCCESS:
                self._value = self._values.decode(message.result)
            else:
                assert message.error is not None
                self._value = rebuild(message.error)
                if message.retries:
                    self._value.add_note(
                        f"task {message.task}[{message.id}] failed after "
                        f"{message.retries + 1} attempts ({message.retries} retries)"
                    )
        return self._value


class ResultCursor(BaseModel):
    """Where a task's result can be read back: its reply partition, from an offset at or
    before the result. `app.fetch_result(cursor)` reads it from any process."""

    model_config = ConfigDict(frozen=True)

    task_id: str
    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)


def replayed_result(
    settings: Settings,
    cursor: ResultCursor,
    timeout: float | None,
    stop: threading.Event | None = None,
) -> ResultMessage | None:
    """The task's final result, read from its reply partition with a consumer of its own.

    Like the client's own router, it skips records of other tasks, records that do not verify
    (with a signing secret) or decode, and states that are not final. Raises TaskTimeoutError
    when `timeout` seconds pass without the result; returns None once `stop` is set.
    """
    signer = signer_of(settings)
    group = f"{settings.namespace}.replay.{uuid.uuid4().hex}"
    reader = PartitionReader(
        consumer_config(settings, f"result-{cursor.task_id}", group),
        cursor.topic,
        cursor.partition,
        cursor.offset,
    )
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while stop is None or not stop.is_set():
            if deadline is not None and time.monotonic() >= deadline:
                raise TaskTimeoutError(
                    f"task {cursor.task_id} has no result after {timeout}s; ask again later"
                )
            for record in reader.take(0.2):
                if header_value(record.headers(), Header.ID) != cursor.task_id:
                    continue
                if signer is not None and signer.verify(record.headers(), record.value()):
                    continue
                try:
                    message = decode(ResultMessage, record.value(), record.headers())
                except DecodeError:
                    continue
                if message.state.ready:
                    return message
    finally:
        reader.close()
    return None
