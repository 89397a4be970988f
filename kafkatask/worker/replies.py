"""ReplySender: results and state changes to the partition each caller named."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kafkatask.exceptions import EncodeError, MessageTooLargeError
from kafkatask.protocol import (
    ErrorInfo,
    MessageKind,
    ResultMessage,
    TaskMessage,
    encode,
    headers_for,
)
from kafkatask.remote_errors import describe
from kafkatask.serialization import Codec, ValueCodec
from kafkatask.states import TaskState
from kafkatask.worker.outbox import Outbox
from kafkatask.worker.streaming import StreamWriter


class ReplySender:
    def __init__(
        self, outbox: Outbox, codec: Codec, values: ValueCodec, worker_id: str, max_bytes: int
    ) -> None:
        self._outbox = outbox
        self._codec = codec
        self._values = values
        self._worker_id = worker_id
        self._max_bytes = max_bytes

    def close_stream(
        self, request: TaskMessage, error: ErrorInfo, on_acked: Callable[[], None]
    ) -> None:
        """End the stream of a request that will not run with an error marker.

        A streaming caller reads the stream, not the result: without the marker it would wait
        for chunks that never come.
        """
        writer = StreamWriter(
            self._outbox,
            codec=self._codec,
            values=self._values,
            request=request,
            max_bytes=self._max_bytes,
        )
        try:
            writer.fail(error, on_acked)
        except MessageTooLargeError:  # an error quoting a huge argument: say less
            short = error.model_copy(update={"message": error.message[:2000], "traceback": ""})
            writer.fail(short, on_acked)

    def state(self, request: TaskMessage, state: TaskState, error: ErrorInfo | None = None) -> None:
        """An intermediate state (RECEIVED, STARTED, RETRY): best effort, not acknowledged."""
        if request.reply_to is None:
            return
        reply = ResultMessage(
            id=request.id,
            task=request.task,
            state=state,
            error=error,
            worker=self._worker_id,
            retries=request.retries,
        )
        self._send(request, encode(reply, self._codec), None)

    def final(
        self,
        request: TaskMessage,
        state: TaskState,
        on_acked: Callable[[], None],
        *,
        result: Any = None,
        error: ErrorInfo | None = None,
        runtime: float | None = None,
    ) -> tuple[TaskState, bytes]:
        """The final state; returns the state and encoded reply actually sent (a result that
        cannot be sent becomes a FAILURE saying why). `on_acked` is called once the broker has
        it, or at once when nobody waits for a reply."""
        reply = ResultMessage(
            id=request.id,
            task=request.task,
            state=state,
            result=result,
            error=error,
            worker=self._worker_id,
            retries=request.retries,
            date_done=time.time(),
            runtime=runtime,
        )
        reply, value = self._encoded(reply)
        if request.reply_to is None:
            on_acked()
            return reply.state, value
        if len(value) > self._max_bytes:
            too_large = MessageTooLargeError(
                f"the result of task {request.task}[{request.id}] encodes to {len(value):,} "
                f"bytes, over the limit of {self._max_bytes:,} (max_message_bytes); return a "
                "reference (a URL or a storage key) instead of the data"
            )
            reply, value = self._failed(reply, too_large)
        self._send(request, value, on_acked)
        return reply.state, value

    def resend(self, request: TaskMessage, value: bytes, on_acked: Callable[[], None]) -> None:
        """Send an already encoded final reply (of an earlier run) to `request`'s caller."""
        if request.reply_to is None:
            on_acked()
            return
        self._send(request, value, on_acked)

    def _encoded(self, reply: ResultMessage) -> tuple[ResultMessage, bytes]:
        try:
            return reply, encode(reply, self._codec)
        except Exception as error:  # the codec refused the result (a value without wire form)
            return self._failed(
                reply, EncodeError(f"the result of task {reply.task} cannot be encoded: {error}")
            )

    def _failed(self, reply: ResultMessage, error: Exception) -> tuple[ResultMessage, bytes]:
        failed = reply.replace(state=TaskState.FAILURE, result=None, error=describe(error))
        return failed, encode(failed, self._codec)

    def _send(
        self, request: TaskMessage, value: bytes, on_acked: Callable[[], None] | None
    ) -> None:
        assert request.reply_to is not None
        self._outbox.send(
            request.reply_to.topic,
            value,
            key=request.id.encode(),
            headers=headers_for(MessageKind.RESULT, self._codec, request.task, request.id),
            partition=request.reply_to.partition,
            on_acked=on_acked,
            what=f"the result of {request.task}[{request.id}]",
        )
