"""Small in-memory stand-ins for the dashboard's Kafka-facing parts, for the page tests.

Each replaces one class (the lag collector, the dead-letter queue, the stream scanner); the
integration tests in this folder run the real ones against the broker.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field, replace

from kafkatask.dashboard.lag import GroupLag, LagSnapshot, PartitionLag
from kafkatask.dashboard.streams import ChunkScan, ChunkView
from kafkatask.dlq import DeadLetterEntry, DlqFilter
from kafkatask.protocol import DeadLetter, ErrorInfo, SourceRecord, TaskMessage, encode
from kafkatask.serialization import codec_named


class StaticLag:
    """A LagSource whose snapshot the test sets."""

    interval = 5.0

    def __init__(self) -> None:
        self.current = LagSnapshot(
            taken_at=time.time(),
            groups=[
                GroupLag(
                    "ns.workers.default",
                    "stable",
                    1,
                    [
                        PartitionLag("ns.tasks.default", 0, 0, 12, 5, 7, "demo@host:abc123"),
                        PartitionLag("ns.tasks.default", 1, 0, 3, 3, 0, "demo@host:abc123"),
                    ],
                ),
                GroupLag(
                    None,
                    "no consumer group",
                    0,
                    [PartitionLag("ns.tasks.idle", 0, 0, 4, None, 4, None)],
                ),
            ],
        )
        self.samples = [(time.time() - 10, 3), (time.time() - 5, 9), (time.time(), 11)]

    def start(self) -> None: ...

    def stop(self, timeout: float = 10.0) -> None: ...

    def snapshot(self) -> LagSnapshot:
        return self.current

    def history(self) -> list[tuple[float, int]]:
        return list(self.samples)


def dead_letter(
    offset: int, task_id: str, task: str = "demo.flaky", args: list | None = None
) -> DeadLetterEntry:
    codec = codec_named("json")
    request = TaskMessage(id=task_id, task=task, args=args or [1])
    letter = DeadLetter(
        reason="retries-exhausted",
        error=ErrorInfo(
            type="KeyError",
            message="'missing'",
            traceback="Traceback (most recent call last):\nKeyError: 'missing'\n",
        ),
        task_id=task_id,
        task=task,
        source=SourceRecord(topic="ns.tasks.default", partition=0, offset=offset),
        original_value=base64.b64encode(encode(request, codec)).decode(),
        original_headers=[("content-type", base64.b64encode(b"application/json").decode())],
        worker="demo@host:abc123",
    )
    return DeadLetterEntry(offset, letter)


@dataclass
class InMemoryDeadLetters:
    """Stands in for kafkatask.dlq.DeadLetterQueue: same methods, a list instead of a topic."""

    letters: list[DeadLetterEntry] = field(default_factory=list)
    replayed: list[tuple[list[int], str]] = field(default_factory=list)
    purged: list[tuple[list[int], str]] = field(default_factory=list)

    def entries(self, where: DlqFilter | None = None) -> list[DeadLetterEntry]:
        chosen = where or DlqFilter()
        return [entry for entry in self.letters if chosen(entry)]

    def replay(self, entries, by: str = "") -> list[str]:
        return self._mark(list(entries), "replayed", self.replayed, by)

    def purge(self, entries, by: str = "") -> int:
        return len(self._mark(list(entries), "purged", self.purged, by))

    def _mark(self, entries, status, log, by) -> list[str]:
        offsets = [entry.offset for entry in entries]
        log.append((offsets, by))
        self.letters = [
            replace(e, status=status) if e.offset in offsets else e for e in self.letters
        ]
        return [entry.letter.task_id or "" for entry in entries]


class CannedChunks:
    """Stands in for StreamChunkScanner."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, float, int | None]] = []

    def scan(self, task_id: str, since: float, partition: int | None = None) -> ChunkScan:
        self.asked.append((task_id, since, partition))
        chunks = [
            ChunkView(0, 10, "a" * 32, 0, "start", None),
            ChunkView(0, 11, "a" * 32, 0, "chunk", '"Hello <b>world</b>"'),
            ChunkView(0, 12, "a" * 32, 1, "end", None),
        ]
        return ChunkScan(chunks, scanned=3, complete=True)
