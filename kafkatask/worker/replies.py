"""ReplySender: results and state changes to the partition each caller named."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, Message

from kafkatask.exceptions import MessageTooLargeError
from kafkatask.kafka import MessageProducer
from kafkatask.protocol import (
    ErrorInfo,
    MessageKind,
    ResultMessage,
    TaskMessage,
    encode,
    headers_for,
)
from kafkatask.remote_errors import describe
from kafkatask.serialization import Codec
from kafkatask.states import TaskState

_log = logging.getLogger("kafkatask.worker")

Acknowledge = Callable[[], None]
"""Posted to the worker's consumer thread once the broker has the final reply."""


class ReplySender:
    def __init__(
        self,
        producer: MessageProducer,
        codec: Codec,
        worker_id: str,
        max_bytes: int,
        post: Callable[[Callable[[], None]], None],
    ) -> None:
        self._producer = producer
        self._codec = codec
        self._worker_id = worker_id
        self._max_bytes = max_bytes
        self._post = post

    def state(self, request: TaskMessage, state: TaskState) -> None:
        """An intermediate state (RECEIVED, STARTED, RETRY): best effort, not acknowledged."""
        if request.reply_to is None:
            return
        reply = ResultMessage(id=request.id, task=request.task, state=state, worker=self._worker_id)
        self._send(request, encode(reply, self._codec), None)

    def final(
        self,
        request: TaskMessage,
        state: TaskState,
        acknowledge: Acknowledge,
        *,
        result: Any = None,
        error: ErrorInfo | None = None,
        runtime: float | None = None,
    ) -> None:
        """The final state; `acknowledge` is posted once the broker has it (at once: no reply)."""
        if request.reply_to is None:
            self._post(acknowledge)
            return
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
        value = encode(reply, self._codec)
        if len(value) > self._max_bytes:
            too_large = MessageTooLargeError(
                f"the result of task {request.task}[{request.id}] encodes to {len(value):,} "
                f"bytes, over the limit of {self._max_bytes:,} (max_message_bytes); return a "
                "reference (a URL or a storage key) instead of the data"
            )
            reply = reply.replace(state=TaskState.FAILURE, result=None, error=describe(too_large))
            value = encode(reply, self._codec)
        self._send(request, value, acknowledge)

    def _send(self, request: TaskMessage, value: bytes, acknowledge: Acknowledge | None) -> None:
        assert request.reply_to is not None
        address = request.reply_to
        headers = headers_for(MessageKind.RESULT, self._codec, request.task, request.id)

        def delivered(error: KafkaError | None, record: Message) -> None:
            if error is None:
                if acknowledge is not None:
                    self._post(acknowledge)
                return
            if acknowledge is None:  # intermediate states are best effort
                return
            _log.warning(
                "result of %s[%s] not acknowledged (%s); sending it again",
                request.task,
                request.id,
                error.str(),
            )
            self._post(lambda: self._send(request, value, acknowledge))

        self._producer.send(
            address.topic,
            value,
            key=request.id.encode(),
            headers=headers,
            partition=address.partition,
            on_delivery=delivered,
        )
