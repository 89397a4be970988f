"""StreamChunkScanner: the stream chunks of one task, found by scanning the streams topic.

A streamed task's `task-received` event names the partition of `<ns>.streams` its chunks go
to; the scanner reads that partition (every partition when the event was not seen) from a
little before the task was received and keeps the records whose `kt-id` header is the task's
id. It is bounded three ways: at most
`limit` chunks, at most `max_records` records read, at most `timeout` seconds.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaException, TopicPartition

from kafkatask.dashboard.tasks import clip
from kafkatask.kafka.config import consumer_config
from kafkatask.kafka.consuming import take
from kafkatask.protocol import Header, StreamChunk, decode, header_value
from kafkatask.settings import Settings

_LEAD = 5.0
"""Seconds before the task's first event to start reading (clocks of hosts differ)."""


@dataclass(frozen=True)
class ChunkView:
    partition: int
    offset: int
    attempt: str
    seq: int
    kind: str
    data: str | None
    """The chunk's wire value as JSON, clipped for display."""
    error: str | None = None


@dataclass(frozen=True)
class ChunkScan:
    chunks: list[ChunkView]
    scanned: int
    complete: bool
    """False when a bound (chunks, records or time) stopped the scan early."""


class StreamChunkScanner:
    def __init__(
        self,
        settings: Settings,
        client_id: str,
        *,
        limit: int = 200,
        max_records: int = 50_000,
        timeout: float = 5.0,
    ) -> None:
        self._settings = settings
        self._topic = f"{settings.namespace}.streams"
        self._client_id = client_id
        self.limit = limit
        self.max_records = max_records
        self.timeout = timeout

    def scan(self, task_id: str, since: float, partition: int | None = None) -> ChunkScan:
        """The chunks of `task_id` in `partition` (every partition when None) since `since`."""
        group = f"{self._settings.namespace}.dashboard-streams.{uuid.uuid4().hex}"
        consumer = Consumer(consumer_config(self._settings, self._client_id, group))
        try:
            ends = self._start(consumer, since, partition)
            return self._read(consumer, task_id, ends)
        except KafkaException:
            return ChunkScan([], 0, complete=False)
        finally:
            consumer.close()

    def _start(self, consumer: Consumer, since: float, only: int | None) -> dict[int, int]:
        """Assign the partitions from `since`; returns the end offsets still to reach."""
        timeout = self._settings.connect_timeout
        metadata = consumer.list_topics(self._topic, timeout=timeout)
        topic = metadata.topics.get(self._topic)
        if topic is None or topic.error is not None:
            return {}
        millis = int((since - _LEAD) * 1000)
        partitions = [only] if only is not None and only in topic.partitions else topic.partitions
        wanted = [TopicPartition(self._topic, p, millis) for p in sorted(partitions)]
        starts = consumer.offsets_for_times(wanted, timeout=timeout)
        ends: dict[int, int] = {}
        assigned = []
        for start in starts:
            _, end = consumer.get_watermark_offsets(start, timeout=timeout)
            if start.offset >= 0 and start.offset < end:
                ends[start.partition] = end
                assigned.append(start)
        consumer.assign(assigned)
        return ends

    def _read(self, consumer: Consumer, task_id: str, ends: dict[int, int]) -> ChunkScan:
        chunks: list[ChunkView] = []
        scanned = 0
        deadline = time.monotonic() + self.timeout
        while ends and len(chunks) < self.limit and scanned < self.max_records:
            if time.monotonic() > deadline:
                break
            for record in take(consumer, 500, timeout=0.2):
                partition, offset = record.partition() or 0, record.offset() or 0
                if record.error() is not None:
                    continue
                scanned += 1
                if offset + 1 >= ends.get(partition, 0):
                    ends.pop(partition, None)
                if header_value(record.headers(), Header.ID) == task_id:
                    chunk = _view(partition, offset, record.value(), record.headers())
                    if chunk is not None and len(chunks) < self.limit:
                        chunks.append(chunk)
        return ChunkScan(chunks, scanned, complete=not ends)


def _view(partition: int, offset: int, value: bytes | None, headers: object) -> ChunkView | None:
    try:
        chunk = decode(StreamChunk, value, headers)  # type: ignore[arg-type]
    except Exception:  # not a chunk: skip it, as readers of the stream do
        return None
    data = None if chunk.data is None else clip(json.dumps(chunk.data, default=repr), 2_000)
    error = None if chunk.error is None else f"{chunk.error.type}: {chunk.error.message}"
    return ChunkView(
        partition, offset, chunk.attempt, chunk.seq, chunk.kind, data, clip(error, 2_000)
    )
