"""StreamWriter: a task's chunks, in order, to the stream partition its caller named."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, Message

from kafkatask.exceptions import MessageTooLargeError
from kafkatask.kafka import MessageProducer
from kafkatask.protocol import (
    ChunkKind,
    ErrorInfo,
    MessageKind,
    StreamChunk,
    TaskMessage,
    encode,
    headers_for,
)
from kafkatask.serialization import Codec, ValueCodec


class StreamWriter:
    """One attempt at streaming one task: a start marker, chunks, then an end or error marker.

    All records of a task go to one partition with the task id as key, so they stay in order;
    `seq` numbers the chunks of this attempt.
    """

    def __init__(
        self,
        producer: MessageProducer,
        *,
        codec: Codec,
        values: ValueCodec,
        request: TaskMessage,
        max_bytes: int,
        post: Callable[[Callable[[], None]], None],
    ) -> None:
        assert request.stream_to is not None
        self._producer = producer
        self._codec = codec
        self._values = values
        self._request = request
        self._max_bytes = max_bytes
        self._post = post
        self._headers = headers_for(MessageKind.CHUNK, codec, request.task, request.id)
        self.attempt = uuid.uuid4().hex
        self.seq = 0

    def start(self) -> None:
        self._send("start", None)

    def chunk(self, value: Any) -> None:
        where = f"chunk {self.seq} of task {self._request.task}"
        self._send("chunk", self._values.encode(value, where))
        self.seq += 1

    def raw_chunk(self, tree: Any) -> None:
        """A chunk that is already wire data."""
        self._send("chunk", tree)
        self.seq += 1

    def end(self, acknowledge: Callable[[], None]) -> None:
        self._send("end", None, acknowledge=acknowledge)

    def fail(self, error: ErrorInfo, acknowledge: Callable[[], None]) -> None:
        self._send("error", None, error=error, acknowledge=acknowledge)

    def _send(
        self,
        kind: ChunkKind,
        data: Any,
        *,
        error: ErrorInfo | None = None,
        acknowledge: Callable[[], None] | None = None,
    ) -> None:
        record = StreamChunk(
            id=self._request.id,
            task=self._request.task,
            attempt=self.attempt,
            seq=self.seq,
            kind=kind,
            data=data,
            error=error,
        )
        value = encode(record, self._codec)
        if len(value) > self._max_bytes:
            raise MessageTooLargeError(
                f"chunk {self.seq} of task {self._request.task} encodes to {len(value):,} bytes, "
                f"over the limit of {self._max_bytes:,} (max_message_bytes); yield smaller chunks"
            )
        address = self._request.stream_to
        assert address is not None
        self._producer.send(
            address.topic,
            value,
            key=self._request.id.encode(),
            headers=self._headers,
            partition=address.partition,
            on_delivery=self._delivered(acknowledge) if acknowledge else None,
        )

    def _delivered(
        self, acknowledge: Callable[[], None]
    ) -> Callable[[KafkaError | None, Message], None]:
        def delivered(error: KafkaError | None, record: Message) -> None:
            # A failed marker leaves its record uncommitted: the task runs again after a restart.
            if error is None:
                self._post(acknowledge)

        return delivered
