"""LagCollector: consumer lag of every task topic and consumer group of a namespace.

What Flower cannot show: how far each worker group is behind, per partition, with who owns
the partition. Every `interval` seconds a daemon thread asks Kafka's admin API for the groups
of the namespace (`<ns>.workers.*` and `<ns>.scheduler`), their members' assignments and
committed offsets, and the topics' start and end offsets. A partition without a committed
offset is read from its start (workers use `auto.offset.reset=earliest`), so its lag counts
from there. Task topics that no group reads are shown with the group `None`: tasks wait there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaException, TopicPartition
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # OffsetSpec: not in __all__
    AdminClient,
    OffsetSpec,
)

from kafkatask.kafka.config import common_config
from kafkatask.settings import Settings

_log = logging.getLogger("kafkatask.dashboard")
HISTORY = 720
"""Samples of total lag kept for the chart (an hour at the default 5 s interval)."""

TP = tuple[str, int]


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
    """The client id (for workers: the worker id) of the member that owns the partition."""


@dataclass(frozen=True)
class GroupLag:
    group: str | None
    """None for the task topics no consumer group reads."""
    state: str
    members: int
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


@dataclass
class _Offsets:
    start: dict[TP, int]
    end: dict[TP, int]


class LagCollector:
    def __init__(self, settings: Settings, client_id: str, interval: float = 5.0) -> None:
        self._settings = settings
        self._namespace = settings.namespace
        self._admin = AdminClient(common_config(settings, client_id))
        self._timeout = settings.connect_timeout
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
        listed = self._admin.list_consumer_groups(request_timeout=self._timeout)
        # Worker groups first, then the delay scheduler (whose lag is waiting by design).
        names = sorted(
            (
                g.group_id
                for g in listed.result(timeout=self._timeout).valid
                if self._ours(g.group_id)
            ),
            key=lambda name: (name == f"{self._namespace}.scheduler", name),
        )
        descriptions = {}
        if names:
            futures = self._admin.describe_consumer_groups(names, request_timeout=self._timeout)
            descriptions = {name: f.result(timeout=self._timeout) for name, f in futures.items()}
        committed = {name: self._committed(name) for name in names}
        offsets = self._offsets([(t, p) for t, count in topics.items() for p in range(count)])
        groups = [
            self._group(name, descriptions[name], committed[name], offsets, topics)
            for name in names
        ]
        read = {p.topic for group in groups for p in group.partitions}
        unread = [t for t in sorted(topics) if t not in read and self._is_task_topic(t)]
        if unread:
            groups.append(_unread(unread, topics, offsets))
        return groups

    def _ours(self, group: str) -> bool:
        ns = self._namespace
        return group.startswith(f"{ns}.workers.") or group == f"{ns}.scheduler"

    def _is_task_topic(self, topic: str) -> bool:
        return topic.startswith(f"{self._namespace}.tasks.")

    def _topics(self) -> dict[str, int]:
        """Partition counts of the namespace's task and delay topics."""
        metadata = self._admin.list_topics(timeout=self._timeout)
        prefixes = (f"{self._namespace}.tasks.", f"{self._namespace}.retry.")
        return {
            name: len(topic.partitions)
            for name, topic in metadata.topics.items()
            if name.startswith(prefixes) and topic.error is None
        }

    def _committed(self, group: str) -> dict[TP, int]:
        request = [ConsumerGroupTopicPartitions(group)]
        futures = self._admin.list_consumer_group_offsets(request, request_timeout=self._timeout)
        result = futures[group].result(timeout=self._timeout)
        return {
            (tp.topic, tp.partition): tp.offset
            for tp in result.topic_partitions or []
            if tp.offset >= 0
        }

    def _offsets(self, partitions: list[TP]) -> _Offsets:
        return _Offsets(
            start=self._list_offsets(partitions, OffsetSpec.earliest()),  # type: ignore[no-untyped-call]
            end=self._list_offsets(partitions, OffsetSpec.latest()),  # type: ignore[no-untyped-call]
        )

    def _list_offsets(self, partitions: list[TP], spec: OffsetSpec) -> dict[TP, int]:
        if not partitions:
            return {}
        request = {TopicPartition(t, p): spec for t, p in partitions}
        futures = self._admin.list_offsets(request, request_timeout=self._timeout)
        return {
            (tp.topic, tp.partition): future.result(timeout=self._timeout).offset
            for tp, future in futures.items()
        }

    def _reads(self, group: str, topics: dict[str, int]) -> set[TP]:
        """The partitions a group of ours reads, from its name (see docs/protocol.md 2.4)."""
        ns = self._namespace
        if group == f"{ns}.scheduler":
            names = [t for t in topics if t.startswith(f"{ns}.retry.")]
        else:
            queues = group.removeprefix(f"{ns}.workers.").split("+")
            names = [f"{ns}.tasks.{queue}" for queue in queues]
        return {(t, p) for t in names for p in range(topics.get(t, 0))}

    def _group(
        self,
        name: str,
        description: object,
        committed: dict[TP, int],
        offsets: _Offsets,
        topics: dict[str, int],
    ) -> GroupLag:
        owners: dict[TP, str] = {}
        members = getattr(description, "members", None) or []
        for member in members:
            for tp in member.assignment.topic_partitions:
                owners[(tp.topic, tp.partition)] = member.client_id
        known = self._reads(name, topics) | set(committed) | set(owners)
        partitions = [
            _partition(tp, offsets, committed.get(tp), owners.get(tp))
            for tp in sorted(known)
            if tp in offsets.end
        ]
        state = getattr(description, "state", None)
        label = state.name.lower() if state is not None else "unknown"
        return GroupLag(name, label, len(members), partitions)


def _partition(tp: TP, offsets: _Offsets, committed: int | None, owner: str | None) -> PartitionLag:
    start, end = offsets.start.get(tp, 0), offsets.end[tp]
    # Records below the log start are gone (retention): they cannot be lag any more.
    position = start if committed is None else max(committed, start)
    return PartitionLag(tp[0], tp[1], start, end, committed, max(end - position, 0), owner)


def _unread(topics: list[str], counts: dict[str, int], offsets: _Offsets) -> GroupLag:
    partitions = [
        _partition((topic, p), offsets, None, None)
        for topic in topics
        for p in range(counts[topic])
        if (topic, p) in offsets.end
    ]
    return GroupLag(None, "no consumer group", 0, partitions)
