"""DeadLetterWriter: a request that cannot (or can no longer) run, kept in `<ns>.dlq`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from kafkatask.protocol import (
    Attempt,
    DeadLetter,
    ErrorInfo,
    MessageKind,
    SourceRecord,
    TaskMessage,
    encode,
    headers_for,
)
from kafkatask.serialization import Codec
from kafkatask.worker.job import RawRecord
from kafkatask.worker.outbox import Outbox

_log = logging.getLogger("kafkatask.worker")


class DeadLetterWriter:
    def __init__(self, outbox: Outbox, codec: Codec, topic: str, worker_id: str) -> None:
        self._outbox = outbox
        self._codec = codec
        self._topic = topic
        self._worker_id = worker_id

    def write(
        self,
        record: RawRecord,
        *,
        reason: str,
        error: ErrorInfo,
        message: TaskMessage | None,
        attempts: list[Attempt] | None = None,
        on_acked: Callable[[], None],
    ) -> None:
        letter = DeadLetter.of_record(
            record.value,
            record.key,
            record.headers,
            reason=reason,
            error=error,
            task_id=message.id if message else None,
            task=message.task if message else None,
            source=SourceRecord(
                topic=record.topic, partition=record.partition, offset=record.offset
            ),
            worker=self._worker_id,
            attempts=attempts or [],
        )
        task = message.task if message else None
        task_id = message.id if message else None
        key = task_id or f"{record.topic}:{record.partition}:{record.offset}"
        self._outbox.send(
            self._topic,
            encode(letter, self._codec),
            key=key.encode(),
            headers=headers_for(MessageKind.DEAD_LETTER, self._codec, task, task_id),
            on_acked=on_acked,
            what=f"the dead letter of {record.topic}[{record.partition}]@{record.offset}",
        )
        _log.error(
            "dead-lettered %s[%d]@%d (%s): %s: %s",
            record.topic,
            record.partition,
            record.offset,
            reason,
            error.type,
            error.message,
        )
