"""LagCollector: consumer lag of every task topic and consumer group of a namespace.

What Flower cannot show: how far each worker group is behind, per partition, with who owns
the partition. Every `interval` seconds a daemon thread asks Kafka for the groups of the
namespace (`<ns>.workers.*` and `<ns>.scheduler`) and their state, the topics' partitions, each
group's committed offsets and the partitions' start and end offsets (kafka/lag.py, which also
says why none of this goes through the AdminClient's group calls). Who owns a partition, and how
many members a group has, come from the workers' own heartbeats (`members`). A partition without
a committed offset is read from its start (workers use `auto.offset.reset=earliest`), so its lag
counts from there. Task topics that no group reads are shown with the group `None`: tasks wait
there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from kafkatask.kafka import TopicNames
from kafkatask.kafka.config import common_config
from kafkatask.kafka.lag import OffsetReader, lag
from kafkatask.protocol import WorkerInfo
from kafkatask.settings import Settings

_log = logging.getLogger("kafkatask.dashboard")
HISTORY = 720
"""Samples of total lag kept for the chart (an hour at the default 5 s interval)."""

TP = tuple[str, int]
Members = Callable[[], Mapping[str, WorkerInfo]]
"""The workers online now, by id, as their latest heartbeat describes them."""


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    start: int
    end: int
    committed: int | None
    """The group's committed offset; None when it has committed nothing yet."""
    lag: int
    owner: str | None
    """The worker that says (in its heartbeats) it owns the partition."""


@dataclass(frozen=True)
class GroupLag:
    group: str | None
    """None for the task topics no consumer group reads."""
    state: str
    """The group's state as Kafka reports it (stable, empty, preparing_rebalance, ...)."""
    members: int
    """Workers online that read this group's queues (from their heartbeats)."""
    partitions: list[PartitionLag]

    @property
    def total(self) -> int:
        return sum(p.lag for p in self.partitions)


@dataclass(frozen=True)
class LagSnapshot:
    taken_at: float
    groups: list[GroupLag] = field(default_factory=list)
    error: str | None = None
    """Why the last collection failed; the groups are then those of the collection before."""

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)


class LagCollector:
    def __init__(
        self,
        settings: Settings,
        client_id: str,
        interval: float = 5.0,
        members: Members | None = None,
    ) -> None:
        self._names = TopicNames(settings.namespace)
        config = common_config(settings, client_id)
        self._admin = AdminClient(config)
        self._timeout = settings.connect_timeout
        self._offsets = OffsetReader(config, self._timeout)
        self._members: Members = members or dict
        self.interval = interval
        self._lock = threading.Lock()
        self._snapshot = LagSnapshot(taken_at=0.0, error="not collected yet")
        self._history: deque[tuple[float, int]] = deque(maxlen=HISTORY)
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kafkatask-dashboard-lag")
        self._thread.daemon = True

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._thread.join(timeout)
        self._offsets.close()

    def snapshot(self) -> LagSnapshot:
        with self._lock:
            return self._snapshot

    def history(self) -> list[tuple[float, int]]:
        """(time, total lag) samples, oldest first."""
        with self._lock:
            return list(self._history)

    def _run(self) -> None:
        while not self._stopping.is_set():
            self.collect()
            self._stopping.wait(self.interval)

    def collect(self) -> LagSnapshot:
        """Ask Kafka now; keeps the previous groups (with the error) when Kafka fails."""
        try:
            snapshot = LagSnapshot(taken_at=time.time(), groups=self._groups())
        except (KafkaException, TimeoutError, OSError) as error:
            _log.warning("could not collect consumer lag: %s", error)
            with self._lock:
                previous = self._snapshot.groups
            snapshot = LagSnapshot(taken_at=time.time(), groups=previous, error=str(error))
        with self._lock:
            self._snapshot = snapshot
            if snapshot.error is None:
                self._history.append((snapshot.taken_at, snapshot.total))
        return snapshot

    # -- asking Kafka ----------------------------------------------------------------------

    def _groups(self) -> list[GroupLag]:
        topics = self._topics()
        states = self._group_states()
        watermarks = self._offsets.watermarks(
            [(t, p) for t, count in sorted(topics.items()) for p in range(count)]
        )
        members = self._members()
        groups = [
            self._group(name, state, topics, watermarks, members) for name, state in states.items()
        ]
        read = {p.topic for group in groups for p in group.partitions}
        unread = [t for t in sorted(topics) if t not in read and self._names.is_task_topic(t)]
        if unread:
            groups.append(_unread(unread, topics, watermarks))
        return groups

    def _group_states(self) -> dict[str, str]:
        """The namespace's groups and their states: worker groups first, then the scheduler
        (whose lag is waiting by design)."""
        listed = self._admin.list_consumer_groups(request_timeout=self._timeout)
        states = {
            g.group_id: g.state.name.lower() if g.state is not None else "unknown"
            for g in listed.result(timeout=self._timeout).valid
            if self._names.queues_of_group(g.group_id) is not None
            or g.group_id == self._names.scheduler_group
        }
        order = sorted(states, key=lambda name: (name == self._names.scheduler_group, name))
        return {name: states[name] for name in order}

    def _topics(self) -> dict[str, int]:
        """Partition counts of the namespace's task and delay topics."""
        metadata = self._admin.list_topics(timeout=self._timeout)
        names = self._names
        return {
            name: len(topic.partitions)
            for name, topic in metadata.topics.items()
            if (names.is_task_topic(name) or names.is_delay_topic(name)) and topic.error is None
        }

    def _reads(self, group: str, topics: dict[str, int]) -> list[TP]:
        """The partitions a group of ours reads, from its name (see docs/protocol.md 2.4)."""
        queues = self._names.queues_of_group(group)
        if queues is None:  # the scheduler
            names = [t for t in topics if self._names.is_delay_topic(t)]
        else:
            names = [self._names.tasks(queue) for queue in queues]
        return [(t, p) for t in sorted(names) for p in range(topics.get(t, 0))]

    def _group(
        self,
        name: str,
        state: str,
        topics: dict[str, int],
        watermarks: dict[TP, tuple[int, int]],
        members: Mapping[str, WorkerInfo],
    ) -> GroupLag:
        reads = [tp for tp in self._reads(name, topics) if tp in watermarks]
        committed = self._offsets.committed(name, reads)
        queues = self._names.queues_of_group(name)
        readers = {
            worker: info
            for worker, info in members.items()
            if queues is None or sorted(info.queues) == sorted(queues)
        }
        owners = {part: worker for worker, info in readers.items() for part in info.partitions}
        partitions = [
            _partition(tp, watermarks[tp], committed.get(tp), owners.get(f"{tp[0]}[{tp[1]}]"))
            for tp in reads
        ]
        return GroupLag(name, state, len(readers), partitions)


def _partition(
    tp: TP, watermarks: tuple[int, int], committed: int | None, owner: str | None
) -> PartitionLag:
    start, end = watermarks
    return PartitionLag(tp[0], tp[1], start, end, committed, lag(start, end, committed), owner)


def _unread(
    topics: list[str], counts: dict[str, int], watermarks: dict[TP, tuple[int, int]]
) -> GroupLag:
    partitions = [
        _partition((topic, p), watermarks[(topic, p)], None, None)
        for topic in topics
        for p in range(counts[topic])
        if (topic, p) in watermarks
    ]
    return GroupLag(None, "no consumer group", 0, partitions)
