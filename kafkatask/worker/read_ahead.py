"""ReadAhead: records read from Kafka but not yet taken, handed out oldest first.

librdkafka hands a consumer its records partition by partition, a fetch response's worth of one
partition after the other. A worker that took them in that order would start every task of the
first partition of a burst, the newest among them too, before the oldest of the next: with 500
tasks spread over 8 partitions and 64 held at a time, tasks started up to 3 s later than in
send order (docs/benchmarks.md). So the worker reads ahead into per-partition queues and takes
from the partition whose next record is the oldest (a k-way merge on when each record was sent:
the task's `sent_at`, to the microsecond, else the record's timestamp, which the producer sets
when it creates it): within a partition offsets stay in order, and across partitions tasks
start in the order they were sent, as far as the records the worker has read can tell. (Record
timestamps have millisecond resolution, and a busy client sends dozens of tasks in one
millisecond; records that tie are taken round-robin between partitions.)

Records here are not received yet: nothing is tracked, owed or committed for them, so dropping
them (their partition moved) loses nothing; their next owner reads them again.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import NamedTuple

from confluent_kafka import TIMESTAMP_NOT_AVAILABLE, Message

TopicPartitionKey = tuple[str, int]
Age = tuple[float, int]
"""(timestamp, tie): what orders records, oldest first."""


class Taken(NamedTuple):
    tp: TopicPartitionKey
    record: Message
    timestamp: float
    """When the producer created the record (milliseconds since the epoch)."""
    tie: int
    """Its place among the records of its partition with the same timestamp."""


class ReadAhead:
    """Per-partition queues of read records, merged by timestamp.

    Args:
        max_records: the most records held, over all partitions.
        max_bytes: the most value bytes held (librdkafka holds as much again in its own queue).
        sent_at: when a record was sent, in seconds since the epoch, when it says so.
    """

    def __init__(
        self,
        max_records: int,
        max_bytes: int,
        sent_at: Callable[[Message], float | None] = lambda record: None,
    ) -> None:
        self.max_records = max_records
        self.max_bytes = max_bytes
        self._sent_at = sent_at
        self._queues: dict[TopicPartitionKey, deque[tuple[Age, Message]]] = {}
        self._heads: list[tuple[Age, int, TopicPartitionKey]] = []
        """(age, number, partition) of each queue's first record, and stale entries."""
        self._last: dict[TopicPartitionKey, Age] = {}
        """The age of the latest record read of each partition."""
        self._live: dict[TopicPartitionKey, int] = {}
        """The number of each queue's one live entry in `_heads`."""
        self._order = itertools.count()
        self._records = 0
        self._bytes = 0

    def __len__(self) -> int:
        return self._records

    def full(self) -> bool:
        return self._records >= self.max_records or self._bytes >= self.max_bytes

    def room(self) -> int:
        """How many more records fit (0 when full)."""
        return 0 if self.full() else self.max_records - self._records

    def ready(self, skip: set[TopicPartitionKey]) -> bool:
        """Whether any partition not in `skip` has a record to take."""
        return any(queue for tp, queue in self._queues.items() if tp not in skip)

    def add(self, tp: TopicPartitionKey, record: Message) -> None:
        """A record read from `tp` (records of one partition come in offset order)."""
        when = self._when(record)
        last = self._last.get(tp)
        age = (when, last[1] + 1 if last is not None and last[0] == when else 0)
        self._last[tp] = age
        queue = self._queues.get(tp)
        if queue is None:
            queue = self._queues[tp] = deque()
        queue.append((age, record))
        if len(queue) == 1:
            self._push_head(tp, age)
        self._records += 1
        self._bytes += len(record.value() or b"")

    def pop_oldest(self, skip: set[TopicPartitionKey]) -> Taken | None:
        """The oldest next record of any partition not in `skip` (those wait), or None."""
        heads, waiting = self._heads, []
        found = None
        while heads:
            age, order, tp = heapq.heappop(heads)
            if self._live.get(tp) != order:
                continue  # stale: its queue was dropped, or moved on
            if tp in skip:
                waiting.append((age, order, tp))
                continue
            queue = self._queues[tp]
            _, record = queue.popleft()
            self._records -= 1
            self._bytes -= len(record.value() or b"")
            if queue:
                self._push_head(tp, queue[0][0])
            else:
                del self._live[tp]
            found = Taken(tp, record, *age)
            break
        for head in waiting:
            heapq.heappush(heads, head)
        return found

    def _when(self, record: Message) -> float:
        """When `record` was sent, in milliseconds since the epoch."""
        sent_at = self._sent_at(record)
        if sent_at is not None:
            return sent_at * 1000
        kind, millis = record.timestamp()
        # A record without a timestamp (an old producer) is as old as its reading.
        return time.time() * 1000 if kind == TIMESTAMP_NOT_AVAILABLE else float(millis)

    def _push_head(self, tp: TopicPartitionKey, age: Age) -> None:
        order = next(self._order)
        self._live[tp] = order
        heapq.heappush(self._heads, (age, order, tp))

    def drop(self, partitions: Iterable[TopicPartitionKey]) -> int:
        """Forget the records of these partitions (they moved away); returns how many."""
        dropped = 0
        for tp in partitions:
            queue = self._queues.pop(tp, None)
            self._live.pop(tp, None)
            self._last.pop(tp, None)
            if queue:
                dropped += len(queue)
                self._records -= len(queue)
                self._bytes -= sum(len(record.value() or b"") for _, record in queue)
        return dropped
