"""StreamWriter: a task's chunks, in order, to the stream partition its caller named."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from kafkatask.exceptions import MessageTooLargeError
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
from kafkatask.worker.outbox import Outbox


class StreamWriter:
    """One attempt at streaming one task: a start marker, chunks, then an end or error marker.

    All records of a task go to one partition with the task id as key, so they stay in order;
    `seq` numbers the chunks of this attempt.
    """

    def __init__(
        self,
        outbox: Outbox,
        *,
        codec: Codec,
        values: ValueCodec,
        request: TaskMessage,
        max_bytes: int,
    ) -> None:
        assert request.stream_to is not None
        self._outbox = outbox
        self._codec = codec
        self._values = values
        self._request = request
        self._max_bytes = max_bytes
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
        self._outbox.send(
            address.topic,
            value,
            key=self._request.id.encode(),
            headers=self._headers,
            partition=address.partition,
            on_acked=acknowledge,
            what=f"the {kind} record of {self._request.task}[{self._request.id}]",
        )
